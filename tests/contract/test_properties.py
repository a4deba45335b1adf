"""Property tests of the semantic checks themselves, over arbitrary ids and bodies.

For any segment id (unicode, reserved characters, `%`, spaces, `+`, dots), however a client
percent-encodes it, a conforming answer never fails, and each kind of violating answer always
fails with exactly the rule it breaks. `semantics.judge` is what every registered check runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

from activecampaign_segments.contract.semantics import BATCH, CURSOR, HISTORY, judge
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.documented import complete

BASE = "http://127.0.0.1:8765"
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second an ISO timestamp can name
# How much of an id a client leaves unencoded in a path: nothing, or RFC 3986's sub-delims.
PATH_SAFE = st.sampled_from(["", "!$&'()*+,;=:@"])

# A path id is any non-empty string but the dot segments (which a client or server may resolve:
# those requests are not judged at all, see test_received.py).
path_ids = st.text(min_size=1, max_size=12).filter(lambda s: s not in {".", ".."})
batch_ids = st.text(
    st.characters(exclude_characters=",", exclude_categories=("Cs",)), min_size=1, max_size=8
)

PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def iso(epoch: int, millis: int) -> str:
    moment = datetime.fromtimestamp(epoch, UTC).replace(microsecond=millis * 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(segment_id: str, epoch: int, millis: int = 0) -> dict[str, Any]:
    return {
        "id": str(epoch),
        "type": "SegmentCountHistory",
        "attributes": complete(
            {
                "timestamp": iso(epoch, millis),
                "segment_id": segment_id,
                "segment_hash": "h",
                "run_id": "r",
                "result_count": 1,
            }
        ),
    }


@st.composite
def histories(
    draw: st.DrawFn, segment_id: str, below: int = MAX_EPOCH + 1, size: tuple[int, int] = (0, 50)
) -> list[dict[str, Any]]:
    """A conforming page: newest first, ids the epoch seconds, all before `below`."""
    moments = draw(
        st.lists(
            st.tuples(st.integers(0, below - 1), st.integers(0, 999)),
            min_size=size[0],
            max_size=size[1],
        )
    )
    return [record(segment_id, e, ms) for e, ms in sorted(moments, reverse=True)]


def path_url(segment_id: str, safe: str, cursor: int | None = None) -> str:
    url = f"{BASE}/api/3/segmentsV2/{quote(segment_id, safe=safe)}/count-history"
    return url if cursor is None else f"{url}/{cursor}"


# --- conforming answers never fail ------------------------------------------------------


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, data=st.data())
def test_a_conforming_history_page_never_fails(segment_id: str, safe: str, data: Any) -> None:
    body = {"data": data.draw(histories(segment_id))}
    assert judge(HISTORY, path_url(segment_id, safe), 200, body) == {}


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, cursor=st.integers(1, MAX_EPOCH), data=st.data())
def test_a_conforming_cursor_page_never_fails(
    segment_id: str, safe: str, cursor: int, data: Any
) -> None:
    body = {"data": data.draw(histories(segment_id, below=cursor))}
    assert judge(CURSOR, path_url(segment_id, safe, cursor), 200, body) == {}


@PROPERTIES
@given(ids=st.lists(batch_ids, min_size=1, max_size=5, unique=True), plus=st.booleans())
def test_a_conforming_batch_answer_never_fails(ids: list[str], plus: bool) -> None:
    # One record per requested id, any subset, any order; spaces sent as %20 or as "+".
    encode = quote_plus if plus else quote
    url = f"{BASE}/api/3/segmentsV2/count-history?segmentIds={encode(','.join(ids), safe='')}"
    body = {"data": [record(i, 1_700_000_000 - n) for n, i in enumerate(ids[::2])]}
    assert judge(BATCH, url, 200, body) == {}


# --- each violating answer always fails, with the rule it breaks ---------------------------


@PROPERTIES
@given(segment_id=path_ids, other=st.text(min_size=1), safe=PATH_SAFE, data=st.data())
def test_a_record_of_another_segment_always_fails(
    segment_id: str, other: str, safe: str, data: Any
) -> None:
    assume(other != segment_id)
    page = data.draw(histories(segment_id, size=(1, 50)))
    index = data.draw(st.integers(0, len(page) - 1))
    page[index]["attributes"]["segment_id"] = other
    found = judge(HISTORY, path_url(segment_id, safe), 200, {"data": page})
    assert set(found) == {"records_belong_to_segment"}


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, data=st.data())
def test_more_than_50_records_always_fails(segment_id: str, safe: str, data: Any) -> None:
    page = data.draw(histories(segment_id, size=(51, 60)))
    found = judge(HISTORY, path_url(segment_id, safe), 200, {"data": page})
    assert set(found) == {"at_most_50_records"}


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, data=st.data())
def test_an_older_record_before_a_newer_one_always_fails(
    segment_id: str, safe: str, data: Any
) -> None:
    page = data.draw(histories(segment_id, size=(2, 50)))
    first, second = sorted(
        data.draw(st.lists(st.integers(0, len(page) - 1), min_size=2, max_size=2, unique=True))
    )
    assume(page[first]["attributes"]["timestamp"] != page[second]["attributes"]["timestamp"])
    page[first], page[second] = page[second], page[first]
    found = judge(HISTORY, path_url(segment_id, safe), 200, {"data": page})
    assert set(found) == {"newest_first"}


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, cursor=st.integers(1, MAX_EPOCH - 1), data=st.data())
def test_a_record_at_or_after_the_cursor_always_fails(
    segment_id: str, safe: str, cursor: int, data: Any
) -> None:
    older = data.draw(histories(segment_id, below=cursor, size=(0, 49)))
    late = record(segment_id, data.draw(st.integers(cursor, MAX_EPOCH)), 999)
    found = judge(CURSOR, path_url(segment_id, safe, cursor), 200, {"data": [late, *older]})
    assert set(found) == {"strictly_before_cursor"}


@PROPERTIES
@given(segment_id=path_ids, safe=PATH_SAFE, shift=st.integers(1, 10**6), data=st.data())
def test_an_id_other_than_the_epoch_second_always_fails(
    segment_id: str, safe: str, shift: int, data: Any
) -> None:
    page = data.draw(histories(segment_id, size=(1, 50)))
    index = data.draw(st.integers(0, len(page) - 1))
    page[index]["id"] = str(int(page[index]["id"]) + shift)
    found = judge(HISTORY, path_url(segment_id, safe), 200, {"data": page})
    assert set(found) == {"id_is_epoch_of_timestamp"}


@PROPERTIES
@given(ids=st.lists(batch_ids, min_size=1, max_size=5, unique=True), other=batch_ids)
def test_a_batch_record_of_an_unrequested_id_always_fails(ids: list[str], other: str) -> None:
    assume(other not in ids and other not in {i.replace(" ", "+") for i in ids})
    url = f"{BASE}/api/3/segmentsV2/count-history?segmentIds={quote(','.join(ids), safe='')}"
    found = judge(BATCH, url, 200, {"data": [record(other, 1_700_000_000)]})
    assert set(found) == {"batch_one_record_per_requested_id"}


@PROPERTIES
@given(ids=st.lists(batch_ids, min_size=1, max_size=5, unique=True), data=st.data())
def test_a_batch_id_answered_twice_always_fails(ids: list[str], data: Any) -> None:
    twice = data.draw(st.sampled_from(ids))
    url = f"{BASE}/api/3/segmentsV2/count-history?segmentIds={quote(','.join(ids), safe='')}"
    body = {"data": [record(twice, 1_700_000_001), record(twice, 1_700_000_000)]}
    assert set(judge(BATCH, url, 200, body)) == {"batch_one_record_per_requested_id"}


def test_only_a_200_with_a_count_history_body_is_judged() -> None:
    bad = {"data": [record("other", 5)]}
    assert judge(HISTORY, path_url("7", ""), 404, bad) == {}
    assert judge(HISTORY, path_url("7", ""), 200, {"errors": []}) == {}
    assert set(judge(HISTORY, path_url("7", ""), 200, bad)) == {"records_belong_to_segment"}
