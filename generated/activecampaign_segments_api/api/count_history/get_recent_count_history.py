from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response_root_do import ErrorResponseRootDO
from ...models.segment_count_history_response_root_do import (
    SegmentCountHistoryResponseRootDO,
)
from ...types import UNSET, Response


def _get_kwargs(
    *,
    segment_ids: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["segmentIds"] = segment_ids

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/3/segmentsV2/count-history",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO | None:
    if response.status_code == 200:
        response_200 = SegmentCountHistoryResponseRootDO.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponseRootDO.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = cast(Any, None)
        return response_401

    if response.status_code == 403:
        response_403 = cast(Any, None)
        return response_403

    if response.status_code == 429:
        response_429 = ErrorResponseRootDO.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    segment_ids: str,
) -> Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]:
    """Retrieve the most recent result count of several segments

     One most-recent result per existing segment among `segmentIds`; unknown ids are ignored. No
    pagination.

    Args:
        segment_ids (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]
    """

    kwargs = _get_kwargs(
        segment_ids=segment_ids,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    segment_ids: str,
) -> Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO | None:
    """Retrieve the most recent result count of several segments

     One most-recent result per existing segment among `segmentIds`; unknown ids are ignored. No
    pagination.

    Args:
        segment_ids (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO
    """

    return sync_detailed(
        client=client,
        segment_ids=segment_ids,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    segment_ids: str,
) -> Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]:
    """Retrieve the most recent result count of several segments

     One most-recent result per existing segment among `segmentIds`; unknown ids are ignored. No
    pagination.

    Args:
        segment_ids (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]
    """

    kwargs = _get_kwargs(
        segment_ids=segment_ids,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    segment_ids: str,
) -> Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO | None:
    """Retrieve the most recent result count of several segments

     One most-recent result per existing segment among `segmentIds`; unknown ids are ignored. No
    pagination.

    Args:
        segment_ids (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO
    """

    return (
        await asyncio_detailed(
            client=client,
            segment_ids=segment_ids,
        )
    ).parsed
