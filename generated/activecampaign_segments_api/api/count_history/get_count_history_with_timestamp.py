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
    segment_id: str,
    timestamp: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/3/segmentsV2/{segment_id}/count-history/{timestamp}".format(
            segment_id=quote(str(segment_id), safe=""),
            timestamp=quote(str(timestamp), safe=""),
        ),
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

    if response.status_code == 404:
        response_404 = ErrorResponseRootDO.from_dict(response.json())

        return response_404

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
    segment_id: str,
    timestamp: int,
    *,
    client: AuthenticatedClient,
) -> Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]:
    """Retrieve the result counts recorded strictly before an epoch second

     The next page of count history: up to 50 results recorded strictly before `timestamp` (epoch
    seconds, exclusive), newest first. Pass the epoch seconds of the last result of the previous page to
    continue.

    Args:
        segment_id (str):
        timestamp (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]
    """

    kwargs = _get_kwargs(
        segment_id=segment_id,
        timestamp=timestamp,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    segment_id: str,
    timestamp: int,
    *,
    client: AuthenticatedClient,
) -> Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO | None:
    """Retrieve the result counts recorded strictly before an epoch second

     The next page of count history: up to 50 results recorded strictly before `timestamp` (epoch
    seconds, exclusive), newest first. Pass the epoch seconds of the last result of the previous page to
    continue.

    Args:
        segment_id (str):
        timestamp (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO
    """

    return sync_detailed(
        segment_id=segment_id,
        timestamp=timestamp,
        client=client,
    ).parsed


async def asyncio_detailed(
    segment_id: str,
    timestamp: int,
    *,
    client: AuthenticatedClient,
) -> Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]:
    """Retrieve the result counts recorded strictly before an epoch second

     The next page of count history: up to 50 results recorded strictly before `timestamp` (epoch
    seconds, exclusive), newest first. Pass the epoch seconds of the last result of the previous page to
    continue.

    Args:
        segment_id (str):
        timestamp (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO]
    """

    kwargs = _get_kwargs(
        segment_id=segment_id,
        timestamp=timestamp,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    segment_id: str,
    timestamp: int,
    *,
    client: AuthenticatedClient,
) -> Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO | None:
    """Retrieve the result counts recorded strictly before an epoch second

     The next page of count history: up to 50 results recorded strictly before `timestamp` (epoch
    seconds, exclusive), newest first. Pass the epoch seconds of the last result of the previous page to
    continue.

    Args:
        segment_id (str):
        timestamp (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponseRootDO | SegmentCountHistoryResponseRootDO
    """

    return (
        await asyncio_detailed(
            segment_id=segment_id,
            timestamp=timestamp,
            client=client,
        )
    ).parsed
