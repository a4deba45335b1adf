"""A typed client for ActiveCampaign's segment count history API.

``SegmentsClient`` (sync) and ``AsyncSegmentsClient`` (asyncio) walk a segment's
count history with lossless cursor paging, retry transient failures, keep the
process under the account's rate limit and raise typed errors (see ``_errors``).
"""

from ._errors import (
    ActiveCampaignError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._records import CountPage, CountRecord
from .client import AsyncSegmentsClient, SegmentsClient

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActiveCampaignError",
    "AsyncSegmentsClient",
    "AuthenticationError",
    "BadRequestError",
    "CountPage",
    "CountRecord",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "SegmentsClient",
    "ServerError",
]
