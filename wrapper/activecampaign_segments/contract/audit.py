"""The cross-answer audit: what the client relies on across answers, as plain code with no I/O.

Each answer of a conforming server can be schema-valid and pass every per-answer rule of
`semantics` while the answers, taken together, lose data: a timestamp form that leaves out one
record at each page boundary, a batch form that answers each segment's previous count, records
repeating another record's ``run_id`` (the history store and the dlt source key on it). So the
audit walks a few real segment histories through the three forms and compares the answers with
each other.

Two parts, both without I/O (the driver is `audit_run`):

- `AuditPlan` says which request to send next, from the answers so far: each segment's first
  page (page form), one batch request for all of them, then each segment's walk as the client
  walks it (the timestamp form at the last record's second + 1), with an *overlap probe* per
  page boundary (the timestamp form at the second of the page's middle record, whose answer
  overlaps the end of that page and the start of the next) and an *end probe* after a page of
  fewer than 50 records (the client stops there: is there really nothing older?);
- `judge_exchanges` runs every rule on the exchanges and returns the violations, each naming the
  request(s) that contradict each other (method, URL as sent, record ids), so it reproduces with
  curl.

The reasoning behind the coverage rules: a page-or-timestamp answer with cursor ``c`` holds the
50 newest records older than ``c``. So a full answer whose oldest record lies in second ``L``
holds every record of the seconds strictly between ``L`` and ``c`` (``L`` itself may be cut);
a short answer (fewer than 50) holds every record older than ``c``. The page form (no cursor)
is bounded above by its newest second, exclusive: a new count may arrive in that second between
two requests. Records are compared by their ``attributes.timestamp``, as multisets,
so many records in one second, or in one millisecond, never raise a false alarm; the coverage
and batch rules count records per epoch second (the cursor's unit), so two forms writing a
timestamp with different precision do not either.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from activecampaign_segments.contract import semantics
from activecampaign_segments.contract.semantics import (
    BATCH,
    CURSOR,
    HISTORY,
    PAGE_SIZE,
    attributes_of,
    epoch_of,
    parse_timestamp,
)

__all__ = [
    "AUDIT_RULES",
    "Ask",
    "AuditPlan",
    "Exchange",
    "Violation",
    "choose_segments",
    "judge_exchanges",
]

API = "/api/3/segmentsV2"
Form = Literal["page", "cursor", "batch"]

AUDIT_RULES: dict[str, str] = {
    "no_record_skipped_or_repeated": (
        "Two answers of one segment agree on every record in the range both cover: the "
        "timestamp form at any cursor holds every record older than the cursor that another "
        "answer shows (records sharing the page's last second included), and no answer holds "
        "a record twice."
    ),
    "short_page_is_last": (
        "An answer of fewer than 50 records is the end of the history: no other answer shows "
        "a record older than its oldest second (the client stops at a short page)."
    ),
    "run_id_unique": (
        "A run_id names one record of a segment: no two records at different instants share "
        "it (the store and the dlt source merge on run_id)."
    ),
    "run_id_stable": (
        "A record keeps its run_id in every answer and every form (the pager drops repeats at "
        "a page boundary by run_id; the store would keep both copies)."
    ),
    "batch_is_newest_record": (
        "The batch form answers each requested segment's newest record: the first record of "
        "its page form, not an older one, and never leaves out a segment that has history."
    ),
    "audit_answered": (
        "Every audit request gets a 200 with a count-history body, in time (an unknown segment "
        "named by --segment-ids is reported, not failed)."
    ),
}
"""The audit's own rules (name -> what it checks). The per-answer rules of `semantics.RULES`
are applied to every audit answer too, under their own names."""


def _encode(segment_id: str) -> str:
    # quote() leaves "." alone and clients/servers resolve "." and ".." path segments.
    if segment_id in (".", ".."):
        return "%2E" * len(segment_id)
    return quote(segment_id, safe="")


@dataclass(frozen=True)
class Ask:
    """One request of the audit.

    Attributes:
        form: ``page`` (first page), ``cursor`` (the timestamp form) or ``batch``.
        segment_id: the segment (page and cursor forms).
        cursor: the epoch-second cursor (cursor form).
        ids: the requested ids (batch form).
        purpose: why it is sent (``first page``, ``next page``, ``overlap probe``, ...).
    """

    form: Form
    segment_id: str = ""
    cursor: int | None = None
    ids: tuple[str, ...] = ()
    purpose: str = ""

    @property
    def template(self) -> str:
        """The operation's path template (for the per-answer rules)."""
        return {"page": HISTORY, "cursor": CURSOR, "batch": BATCH}[self.form]

    @property
    def target(self) -> str:
        """Path and query, percent-encoded (any id: unicode, ``%``, spaces...)."""
        if self.form == "batch":
            return f"{API}/count-history?segmentIds=" + ",".join(_encode(i) for i in self.ids)
        path = f"{API}/{_encode(self.segment_id)}/count-history"
        return path if self.cursor is None else f"{path}/{self.cursor}"


@dataclass(frozen=True)
class Exchange:
    """One request and what came back.

    Attributes:
        ask: what was asked.
        url: the URL as sent (for curl).
        status: the HTTP status (0 when no answer came).
        body: the decoded JSON body (None when there was none or it was not JSON).
        error: why no usable answer came (timeout, connection error), else empty.
        seq: the request's position in the audit (earlier answers have smaller numbers).
    """

    ask: Ask
    url: str
    status: int
    body: Any = None
    error: str = ""
    seq: int = 0

    @property
    def line(self) -> str:
        """``GET <url>``: the request as a person would repeat it."""
        return f"GET {self.url}"

    @property
    def records(self) -> list[dict[str, Any]] | None:
        """The records of a 200 count-history answer, else None."""
        return semantics.records_of(self.body) if self.status == 200 else None


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, what is wrong, and the request(s) that show it."""

    rule: str
    message: str
    requests: tuple[str, ...]

    def line(self) -> str:
        """One line naming the rule, the problem and the requests."""
        return f"{self.rule}: {self.message} [{' vs '.join(self.requests)}]"


# --- records as the audit reads them ---------------------------------------------------


@dataclass(frozen=True)
class _Rec:
    moment: datetime
    epoch: int
    record_id: str
    run_id: str | None


@dataclass
class _Answer:
    """A page or cursor answer (or a batch answer's records of one segment), parsed."""

    exchange: Exchange
    segment_id: str
    recs: list[_Rec]
    form: Form
    cursor: int | None

    @property
    def full(self) -> bool:
        return len(self.recs) >= PAGE_SIZE

    def upper(self) -> int | None:
        """Records older than this epoch second are covered (None: nothing is)."""
        if self.form == "cursor":
            return self.cursor
        if self.form == "page" and self.recs:
            return self.recs[0].epoch  # exclusive: a new count may arrive in that second
        return None

    def covers(self, epoch: int) -> bool:
        """Whether this answer must hold every record of second ``epoch`` another answer shows.

        The seconds strictly between its oldest record and its cursor; and, for the timestamp
        form, the second just below the cursor (an answer holds the newest records below its
        cursor, so another answer's records of that second, themselves the newest of it, are
        all there: a page boundary cutting a second loses none of it).
        """
        upper = self.upper()
        if upper is None or self.form == "batch" or epoch >= upper:
            return False
        if self.form == "cursor" and epoch == upper - 1:
            return True
        return bool(self.recs) and epoch > self.recs[-1].epoch

    def claims_end(self, epoch: int) -> bool:
        """Whether this short answer says no record of second ``epoch`` exists.

        Its oldest second included (a short answer holds every record older than its cursor);
        the second below the cursor is `covers`' (the continuation's) business.
        """
        if self.form == "batch" or self.full:
            return False
        upper = self.upper()
        if upper is None or epoch >= upper or (self.form == "cursor" and epoch == upper - 1):
            return False
        return not self.recs or epoch <= self.recs[-1].epoch

    def seconds(self) -> Counter[int]:
        return Counter(rec.epoch for rec in self.recs)


def _rec(record: dict[str, Any]) -> _Rec | None:
    attributes = attributes_of(record)
    moment = parse_timestamp(attributes.get("timestamp"))
    if moment is None:
        return None
    run_id = attributes.get("run_id")
    return _Rec(
        moment,
        epoch_of(moment),
        str(record.get("id", epoch_of(moment))),
        run_id if isinstance(run_id, str) else None,
    )


def _answers(exchanges: Sequence[Exchange]) -> dict[str, list[_Answer]]:
    """Every parsed answer, by segment (batch records under the segment they name, if asked)."""
    by_segment: dict[str, list[_Answer]] = {}
    for exchange in exchanges:
        records = exchange.records
        if records is None:
            continue
        ask = exchange.ask
        if ask.form == "batch":
            grouped: dict[str, list[_Rec]] = {}
            for record in records:
                segment = attributes_of(record).get("segment_id")
                rec = _rec(record)
                if segment is not None and str(segment) in ask.ids and rec is not None:
                    grouped.setdefault(str(segment), []).append(rec)
            for segment, recs in grouped.items():
                answer = _Answer(exchange, segment, recs, "batch", None)
                by_segment.setdefault(segment, []).append(answer)
            continue
        recs = [rec for rec in map(_rec, records) if rec is not None]
        answer = _Answer(exchange, ask.segment_id, recs, ask.form, ask.cursor)
        by_segment.setdefault(ask.segment_id, []).append(answer)
    return by_segment


def _describe(rec: _Rec) -> str:
    run = f", run_id {rec.run_id!r}" if rec.run_id is not None else ""
    return f"record id {rec.record_id!r} ({rec.moment.isoformat()}{run})"


def _pairs(answers: list[_Answer]) -> Iterable[tuple[_Answer, _Answer]]:
    for a in answers:
        for b in answers:
            if a is not b:
                yield a, b


# --- the rules ----------------------------------------------------------------------------


def _skipped_or_repeated(segment: str, answers: list[_Answer]) -> list[Violation]:
    found: list[Violation] = []
    for answer in answers:
        seen: set[tuple[datetime, str | None]] = set()
        for rec in answer.recs:
            key = (rec.moment, rec.run_id)
            if key in seen and answer.form != "batch":
                found.append(
                    Violation(
                        "no_record_skipped_or_repeated",
                        f"segment {segment!r}: {_describe(rec)} appears twice in one answer",
                        (answer.exchange.line,),
                    )
                )
                break
            seen.add(key)
    for source, target in _pairs(answers):
        if target.form == "batch":
            continue
        have = target.seconds()
        want = Counter(rec.epoch for rec in source.recs if target.covers(rec.epoch))
        missing = _first_short(want, have, source, target)
        if missing is not None:
            rec, count = missing
            found.append(
                Violation(
                    "no_record_skipped_or_repeated",
                    f"segment {segment!r}: the first answer holds {want[rec.epoch]} record(s) of "
                    f"second {rec.epoch}, the second {count}, although it must hold every record "
                    f"of that second (older than its cursor, newer than its oldest record): "
                    f"e.g. {_describe(rec)} is missing",
                    (source.exchange.line, target.exchange.line),
                )
            )
    return found


def _first_short(
    want: Counter[int], have: Counter[int], source: _Answer, target: _Answer
) -> tuple[_Rec, int] | None:
    """The first second ``target`` holds fewer records of than ``want``: a record it lacks.

    Compared by epoch second, not by instant: two forms may write a timestamp with different
    precision, and the cursor is whole seconds anyway.
    """
    for epoch in sorted(want, reverse=True):
        if want[epoch] > have[epoch]:
            held = {rec.run_id for rec in target.recs if rec.epoch == epoch}
            candidates = [rec for rec in source.recs if rec.epoch == epoch]
            lacking = [rec for rec in candidates if rec.run_id not in held] or candidates
            return lacking[0], have[epoch]
    return None


def _short_page(segment: str, answers: list[_Answer]) -> list[Violation]:
    found: list[Violation] = []
    for source, short in _pairs(answers):
        want = Counter(rec.epoch for rec in source.recs if short.claims_end(rec.epoch))
        missing = _first_short(want, short.seconds(), source, short)
        if missing is not None:
            rec, _count = missing
            oldest = (
                f"its oldest record is at epoch {short.recs[-1].epoch}"
                if short.recs
                else "it holds none"
            )
            found.append(
                Violation(
                    "short_page_is_last",
                    f"segment {segment!r}: the second answer holds {len(short.recs)} "
                    f"records (fewer than {PAGE_SIZE}: the client stops there; {oldest}), "
                    f"but the first shows {_describe(rec)}, which it lacks",
                    (source.exchange.line, short.exchange.line),
                )
            )
    return found


def _run_id_unique(segment: str, answers: list[_Answer]) -> list[Violation]:
    first: dict[str, tuple[_Rec, _Answer]] = {}
    for answer in sorted(answers, key=lambda a: a.exchange.seq):
        for rec in answer.recs:
            if rec.run_id is None:
                continue
            earlier = first.setdefault(rec.run_id, (rec, answer))
            # Across answers by second (forms may differ in precision), within one by instant.
            same_answer = earlier[1] is answer
            if earlier[0].epoch != rec.epoch or (same_answer and earlier[0].moment != rec.moment):
                other, where = earlier
                return [
                    Violation(
                        "run_id_unique",
                        f"segment {segment!r}: {_describe(other)} and {_describe(rec)} share "
                        "one run_id; the history store and the dlt source keep one of them",
                        (where.exchange.line, answer.exchange.line),
                    )
                ]
    return []


def _run_id_stable(segment: str, answers: list[_Answer]) -> list[Violation]:
    for a, b in _pairs(answers):
        if a.exchange.seq > b.exchange.seq:
            continue
        runs_a: dict[datetime, Counter[str | None]] = {}
        runs_b: dict[datetime, Counter[str | None]] = {}
        for runs, answer in ((runs_a, a), (runs_b, b)):
            for rec in answer.recs:
                runs.setdefault(rec.moment, Counter())[rec.run_id] += 1
        for moment in sorted(set(runs_a) & set(runs_b)):
            left, right = runs_a[moment], runs_b[moment]
            comparable = left.total() == right.total() and None not in left and None not in right
            if comparable and left != right:
                return [
                    Violation(
                        "run_id_stable",
                        f"segment {segment!r}: the record(s) at {moment.isoformat()} have "
                        f"run_id {sorted(map(str, left))} in the first answer and "
                        f"{sorted(map(str, right))} in the second",
                        (a.exchange.line, b.exchange.line),
                    )
                ]
    return []


def _batch_newest(exchanges: Sequence[Exchange]) -> list[Violation]:
    found: list[Violation] = []
    pages: dict[str, _Answer] = {}
    for segment, answers in _answers(exchanges).items():
        for answer in answers:
            if answer.form == "page" and answer.recs:
                pages.setdefault(segment, answer)
    for exchange in exchanges:
        records = exchange.records
        if exchange.ask.form != "batch" or records is None:
            continue
        newest: dict[str, _Rec] = {}
        for record in records:
            rec = _rec(record)
            named = attributes_of(record).get("segment_id")
            if rec is None or named is None:
                continue
            if str(named) not in newest or rec.moment > newest[str(named)].moment:
                newest[str(named)] = rec
        for segment in exchange.ask.ids:
            page = pages.get(segment)
            if page is None or page.exchange.seq > exchange.seq:
                continue
            top = page.recs[0]
            got = newest.get(segment)
            if got is None:
                problem = "leaves it out, although it has history"
            elif got.epoch < top.epoch:
                problem = f"answers the older {_describe(got)}"
            else:
                continue  # the newest, or a count recorded since the page was fetched
            found.append(
                Violation(
                    "batch_is_newest_record",
                    f"segment {segment!r}: the page form's newest record is {_describe(top)}, "
                    f"but the batch form {problem}",
                    (page.exchange.line, exchange.line),
                )
            )
    return found


def _answered(exchange: Exchange) -> Violation | None:
    if exchange.error:
        return Violation("audit_answered", exchange.error, (exchange.line,))
    if exchange.status == 200 and exchange.records is None:
        return Violation(
            "audit_answered",
            'answered 200 with a body that is not a count-history answer ({"data": [...]})',
            (exchange.line,),
        )
    if exchange.status != 200:
        return Violation(
            "audit_answered",
            f"answered HTTP {exchange.status} to a valid request for a segment with history",
            (exchange.line,),
        )
    return None


def judge_exchanges(exchanges: Sequence[Exchange]) -> list[Violation]:
    """Every violation the exchanges show: the audit's own rules and the per-answer ones.

    Args:
        exchanges: the audit's requests and answers, in the order they were sent.

    Returns:
        The violations, each naming its rule and the request(s) that show it; empty when the
        answers agree with each other and each holds every per-answer rule.
    """
    found: list[Violation] = []
    for exchange in exchanges:
        problem = _answered(exchange)
        if problem is not None:
            found.append(problem)
            continue
        for rule, problems in semantics.judge(
            exchange.ask.template, exchange.url, exchange.status, exchange.body
        ).items():
            found.append(Violation(rule, "; ".join(problems), (exchange.line,)))
    for segment, answers in _answers(exchanges).items():
        found += _skipped_or_repeated(segment, answers)
        found += _short_page(segment, answers)
        found += _run_id_unique(segment, answers)
        found += _run_id_stable(segment, answers)
    found += _batch_newest(exchanges)
    return found


# --- the plan -------------------------------------------------------------------------------


@dataclass
class AuditPlan:
    """Which request to send next, from the answers so far (no I/O).

    Use: ``ask = plan.next_ask()`` until it is None, sending each and handing the exchange to
    ``plan.feed(exchange)``.

    Attributes:
        segments: the segments to walk (ids with history).
        pages_per_segment: how many pages of each history the walk follows.
    """

    segments: list[str]
    pages_per_segment: int = 4
    _queue: deque[Ask] = field(default_factory=deque)
    _pages: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.segments = list(dict.fromkeys(self.segments))
        self._queue.extend(Ask("page", s, purpose="first page") for s in self.segments)
        batchable = tuple(s for s in self.segments if "," not in s)[:100]
        if batchable:
            self._queue.append(Ask("batch", ids=batchable, purpose="batch"))

    def next_ask(self) -> Ask | None:
        """The next request to send, or None when the audit is over."""
        return self._queue.popleft() if self._queue else None

    @property
    def pending(self) -> int:
        """How many requests the plan holds now (more may follow from their answers)."""
        return len(self._queue)

    def feed(self, exchange: Exchange) -> None:
        """Take an answer; queue the requests it leads to."""
        ask = exchange.ask
        if ask.form == "batch" or ask.purpose not in ("first page", "next page"):
            return
        recs = [rec for rec in map(_rec, exchange.records or []) if rec is not None]
        self._pages[ask.segment_id] += 1
        if not recs:
            return
        first, last = recs[0], recs[-1]
        if len(recs) < PAGE_SIZE:
            end = last.epoch + 1
            if end != ask.cursor:
                self._queue.append(Ask("cursor", ask.segment_id, end, purpose="end probe"))
            return
        if self._pages[ask.segment_id] >= self.pages_per_segment:
            return
        # The client's own next cursor: a full page within one second steps below it.
        following = last.epoch if first.epoch == last.epoch else last.epoch + 1
        self._queue.append(Ask("cursor", ask.segment_id, following, purpose="next page"))
        middle = recs[PAGE_SIZE // 2].epoch
        if last.epoch < middle and middle != following and middle != ask.cursor:
            self._queue.append(Ask("cursor", ask.segment_id, middle, purpose="overlap probe"))


def choose_segments(known: dict[str, list[int]], limit: int) -> list[str]:
    """Up to ``limit`` segments worth walking, best first.

    Segments whose known records show a second cut by the 50-record page boundary come first
    (the hardest case for a cursor), then those with at least a full page, then the rest.

    Args:
        known: segment id -> epoch seconds of (some of) its records, newest first.
        limit: how many to return.
    """

    def rank(segment: str) -> tuple[int, str]:
        epochs = known[segment]
        if len(epochs) > PAGE_SIZE and epochs[PAGE_SIZE - 1] == epochs[PAGE_SIZE]:
            return (0, segment)
        return (1 if len(epochs) >= PAGE_SIZE else 2, segment)

    with_history = [segment for segment, epochs in known.items() if epochs]
    return sorted(with_history, key=rank)[: max(limit, 0)]
