"""Keeping the read models up to date in every append transaction.

An appended event changes the records of the subject whose stream it is in (a
transfer's events also change its case's arrivals; a retraction, its target's subject);
one of a type the fold does not read (an action agreed, a patient registered) changes none.
The projector keeps, for each subject it has touched, the fold of
the events that subject's rows are made from (:class:`Subject`) and the rows it last
wrote. An appended event is folded into the subjects it touches; their rows are derived
again by the same definition the reports and rebuild use, and only the rows that differ
from those last written are deleted and inserted. The checkpoint moves in the same
transaction, so the read models always match the log.

A subject is folded from its streams in the store (its first touch, a retraction in
them, or a case's listing, which brings a meeting's cutoff and a protocol's required
items into its fold), from the events' data as stored; the store then already holds the
whole appended batch, so that subject takes none of the batch's events again. At its
first touch, the rows last written for it are those of its events before the batch (the
read models hold the log up to there).

On PostgreSQL every query waits for the server, and a subject not folded yet took three
to five of them (its streams; a transfer's case; the case's transfers; its protocol; its
meetings' cutoffs): at 913k events, half of 500 commands touched one, 8-10 round trips
instead of 4. What the batch's subjects read is read in one query
(:func:`~coord.store.subject_events.stored_subjects`), sent with the checkpoint's move
in its round trip (it follows the batch's rows, so it sees them): a command waits 4
times whether its subjects are folded or not. What that query guessed from the events'
data (a transfer's case, a listing's meeting and protocol) is checked against the fold,
and anything it missed is read as before.

The folds outlive a unit of work only while the log stays the one last projected (the
next append starts right after that head, and the hash chain links it to it); when
another process has appended, they are dropped. Another process's rebuild (``coord
rebuild``, or ``coord init`` with a new time zone) leaves them holding: it writes the same
records (the rows compared are records; the time zone, read in each unit of work, only
makes their day counts when written).

The checkpoint moves only from the position before the append: read models behind the
log (a migration or a new time zone removes the checkpoint until ``coord init`` rebuilds
them; or a store without this hook appended) are not projected, and stay behind.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from coord.domain.log import Accepted
from coord.events import Event
from coord.events.types import CaseListed, CaseRelisted, EventRetracted, TransferRequested
from coord.projections.rows import RecordRow, prepared_rows, record_rows
from coord.reports import FactBuilder, facts_of
from coord.reports.fold import FOLDED_TYPES
from coord.store.chain import Head
from coord.store.engine import Connection, is_postgresql
from coord.store.log import Writer
from coord.store.readmodels import (
    advance_checkpoint,
    delete_rows,
    insert_rows,
    refs_of_owners,
)
from coord.store.subject_events import (
    StoredSubjects,
    StreamRow,
    stored_events_of_streams,
    stored_subjects,
)

#: stream kinds whose subjects own rows (protocols, sites and patients own none: the rules
#: keep a new or retracted protocol version from changing a listed case's requirements)
OWNING_KINDS = frozenset(("case", "transfer", "handover", "referral", "meeting"))
#: subjects kept folded through one unit of work (the least recently touched are dropped
#: beyond this many, and folded again from the store if touched again)
SUBJECT_LIMIT = 20_000
#: the one event of a meeting's stream that a case's records read (its cutoff)
MEETING_OPENER = "MeetingScheduled"
#: a case's events that bring another stream into its fold
_LISTINGS = frozenset((CaseListed.TYPE, CaseRelisted.TYPE))
_RETRACTION = EventRetracted.TYPE
#: the types of the events the projector reads: those the fold reads, and retractions
_READ_TYPES = FOLDED_TYPES | {_RETRACTION}

RowKey = tuple[str, int]


def _kind(stream: str) -> str:
    return stream.partition(":")[0]


class Subject:
    """One subject's fold: the events its rows are made from, and the rows last written
    for it."""

    __slots__ = ("builder", "rows", "streams")

    def __init__(self, streams: set[str], rows: dict[RowKey, RecordRow]) -> None:
        self.builder = FactBuilder()
        #: the streams folded (a case: its own, its transfers', its meetings', its protocol)
        self.streams = streams
        self.rows = rows

    def drop(self) -> None:
        """Forget the fold (a retraction in its streams); the rows written are kept."""
        self.builder, self.streams = FactBuilder(), set()

    @property
    def folded(self) -> bool:
        """False once dropped (a retraction in its streams): fold it again before use."""
        return bool(self.streams)

    def apply(self, event: Event, position: int) -> None:
        self.builder.apply(event, position)

    def transfer_case(self, transfer_id: str) -> str | None:
        """The case a transfer of this fold was requested for (``case:<id>``)."""
        transfer = self.builder.transfers.get(transfer_id)
        return None if transfer is None or transfer.case_id is None else f"case:{transfer.case_id}"


class Projector:
    """The append hook (one per store): folds every appended event into the subjects it
    touches and writes the rows that changed."""

    def __init__(self, subject_limit: int | None = None) -> None:
        self._writer: Writer | None = None
        self._subjects: OrderedDict[str, Subject] = OrderedDict()
        self._limit = SUBJECT_LIMIT if subject_limit is None else subject_limit
        #: the head of the log as last projected (None after a failure)
        self._projected: Head | None = None
        #: the position of the first event of the batch being projected
        self._batch_start = 0
        #: PostgreSQL, while a batch is projected: what its subjects read from the store
        #: (:meth:`_load` reads what it lacks in one query); None on SQLite, where a
        #: query costs no round trip and the reads stay as they were
        self._stored: StoredSubjects | None = None

    def __call__(self, writer: Writer, records: Sequence[Accepted], positions: list[int]) -> None:
        if writer is not self._writer:
            if not self._continues(writer, positions[0]):
                self._subjects.clear()
            self._writer = writer
        self._projected = None
        self._batch_start = positions[0]
        connection = writer.connection
        try:
            # an event of a type the fold does not read changes no row
            read = [i for i, record in enumerate(records) if record.event.type in _READ_TYPES]
            folded = [records[i] for i in read]
            to_fold = self._to_fold(folded)
            stored = None
            if is_postgresql(connection):
                # what they read goes with the checkpoint's move, in its round trip (it
                # follows the batch's rows, so it sees them)
                ahead = to_fold | self._requested_cases(folded)
                if ahead:
                    stored = stored_subjects(connection, ahead, MEETING_OPENER, later=True)
            if not advance_checkpoint(connection, positions[0] - 1, positions[-1]):
                # the read models are behind the log (stale until rebuilt): left so
                self._subjects.clear()
                self._writer = None
                return
            if read:
                if is_postgresql(connection):
                    self._stored = StoredSubjects() if stored is None else stored()
                self._project(writer, folded, [positions[i] for i in read], to_fold)
        except BaseException:
            self._writer = None
            raise
        finally:
            self._stored = None
        self._projected = writer.head()

    def _continues(self, writer: Writer, first: int) -> bool:
        """Whether the subjects folded by an earlier unit of work still hold: the log
        before this append is exactly the one last projected (same head, and by the hash
        chain the same events), so the read models are the rows last written (written by
        that unit of work, or by another that appended the very same events)."""
        last = self._projected
        return (
            last is not None
            and first == last.position + 1
            and writer.chain_link(first) == last.hash
        )

    def _project(
        self,
        writer: Writer,
        records: Sequence[Accepted],
        positions: list[int],
        to_fold: set[str],
    ) -> None:
        #: subjects folded from the store during this call: they hold the whole batch
        fresh: set[str] = set()
        # the subjects of the records' own streams (``to_fold``: :meth:`_to_fold`), then
        # the cases of their transfers, are folded from the store in bulk where they are
        # not folded already
        self._load(writer, to_fold, fresh)
        cases = self._transfer_cases(writer, records)
        self._load(writer, {c for c in cases if c and not self._usable(c)}, fresh)
        touched: dict[str, None] = {}
        for record, position, case in zip(records, positions, cases, strict=True):
            for owner in self._fold(writer, record, position, case, fresh):
                touched[owner] = None
        self._load(writer, {o for o in touched if not self._usable(o)}, fresh)
        self._write(writer, touched)

    # --- folding ----------------------------------------------------------------------

    def _usable(self, owner: str) -> bool:
        subject = self._subjects.get(owner)
        return subject is not None and subject.folded

    def _to_fold(self, records: Sequence[Accepted]) -> set[str]:
        """The records' own subjects that must be folded from the store: not folded yet,
        or a case being listed (its fold gains the meeting's cutoff and the protocol). A
        transfer, handover, referral or meeting whose stream starts in this batch has
        nothing stored before it: it starts empty instead."""
        needed: set[str] = set()
        for record in records:
            stream = record.stream
            kind = _kind(stream)
            if kind not in OWNING_KINDS or isinstance(record.event.data, EventRetracted):
                continue
            if record.event.type in _LISTINGS:
                needed.add(stream)
            elif not self._usable(stream) and stream not in needed:
                if record.version == 1 and kind != "case":
                    self._subjects[stream] = Subject({stream}, rows={})
                else:
                    needed.add(stream)
        return needed

    def _requested_cases(self, records: Sequence[Accepted]) -> set[str]:
        """The cases, not folded yet, that transfers requested in the batch are for (a
        new transfer starts empty, but its case is folded from the store)."""
        cases = set()
        for record in records:
            data = record.event.data
            if isinstance(data, TransferRequested) and data.case_id is not None:
                case = f"case:{data.case_id}"
                if not self._usable(case):
                    cases.add(case)
        return cases

    def _transfer_cases(self, writer: Writer, records: Sequence[Accepted]) -> list[str | None]:
        """For each record of a transfer's stream, the case the transfer is for."""
        known: dict[str, str | None] = {}
        cases: list[str | None] = []
        for record in records:
            stream, data = record.stream, record.event.data
            case = None
            if _kind(stream) == "transfer" and not isinstance(data, EventRetracted):
                if isinstance(data, TransferRequested):
                    known[stream] = None if data.case_id is None else f"case:{data.case_id}"
                elif stream not in known:
                    known[stream] = self._case_of_transfer(writer, stream)
                case = known[stream]
            cases.append(case)
        return cases

    def _case_of_transfer(self, writer: Writer, stream: str) -> str | None:
        """The case of a transfer as folded, else as its stored row says."""
        subject = self._subjects.get(stream)
        case = None if subject is None else subject.transfer_case(stream.partition(":")[2])
        if case is None:
            ref = refs_of_owners(writer.connection, "transfer", [stream]).get(stream)
            case = None if ref is None else f"case:{ref}"
        return case

    def _fold(
        self, writer: Writer, record: Accepted, position: int, case: str | None, fresh: set[str]
    ) -> list[str]:
        """Fold one appended event into the subjects it touches; return them."""
        event, stream = record.event, record.stream
        if isinstance(event.data, EventRetracted):
            return self._retracted(writer, stream, fresh)
        owners = [stream] if _kind(stream) in OWNING_KINDS else []
        if case is not None:
            owners.append(case)
        for owner in owners:
            if owner in fresh:
                continue
            if not self._usable(owner):  # dropped by a retraction earlier in the batch
                self._load(writer, {owner}, fresh)
                continue
            subject = self._subjects[owner]
            self._subjects.move_to_end(owner)
            subject.apply(event, position)
            subject.streams.add(stream)
        return owners

    def _retracted(self, writer: Writer, stream: str, fresh: set[str]) -> list[str]:
        """A retraction in ``stream``: every subject whose fold reads that stream (and a
        transfer's case) is folded again from the store (unless it was folded from the
        store during this batch: it holds the retraction already)."""
        kind = _kind(stream)
        owners = [stream] if kind in OWNING_KINDS else []
        if kind == "transfer":
            case = self._case_of_transfer(writer, stream)
            if case is not None:
                owners.append(case)
        if kind in ("meeting", "protocol"):  # a case's fold reads its meetings and protocol
            owners.extend(o for o, s in self._subjects.items() if stream in s.streams)
        for owner in owners:
            subject = self._subjects.get(owner)
            if subject is not None and owner not in fresh:
                subject.drop()
        return owners

    def _load(self, writer: Writer, owners: Collection[str], fresh: set[str]) -> None:
        """Fold these subjects from their streams as stored (the batch already in them)."""
        if not owners:
            return
        connection = writer.connection
        stored = self._stored
        if stored is not None:  # PostgreSQL: what they read, in one query
            unread = [o for o in owners if not stored.holds(o)]
            if unread:
                stored.update(stored_subjects(connection, unread, MEETING_OPENER)())
        cases = sorted(o for o in owners if o.startswith("case:"))
        # a case's transfers (a retracted request may stay listed: the fold leaves it out)
        referrers = self._referrers(writer, cases)
        streams_of = {o: {o} | referrers.get(o, set()) for o in owners}
        events_of: dict[str, list[StreamRow]] = {}
        wanted = sorted(set().union(*streams_of.values()))
        # PostgreSQL: what was read ahead, of the streams read whole and of the listings'
        ahead_whole = None if stored is None else stored.whole
        ahead_related = None if stored is None else stored.related
        for row in _events_of(connection, wanted, ahead_whole):
            events_of.setdefault(row[5], []).append(row)
        related_of = {case: set(_meetings_and_protocol(events_of.get(case, ()))) for case in cases}
        related = set().union(*related_of.values()) if related_of else set()
        protocols = sorted(s for s in related if s.startswith("protocol:"))
        meetings = sorted(related - set(protocols))
        for row in _events_of(connection, protocols, ahead_related):
            events_of.setdefault(row[5], []).append(row)
        # of a meeting, a case needs only its cutoff (attendance is the meeting's own)
        for row in _events_of(connection, meetings, ahead_related, (MEETING_OPENER,)):
            events_of.setdefault(row[5], []).append(row)
        for owner in sorted(owners):
            streams = streams_of[owner] | related_of.get(owner, set())
            events = sorted((row for s in streams for row in events_of.get(s, ())), key=_position)
            subject = self._subjects.get(owner)
            if subject is None:
                # its rows as stored: those of its events before this batch (the read
                # models hold the log up to there), so only the rows that differ are written
                subject = self._subjects[owner] = self._first_fold(owner, streams, events)
            else:
                subject.streams = streams
                subject.builder = _fold_of(events)
            self._subjects.move_to_end(owner)
            fresh.add(owner)

    def _referrers(self, writer: Writer, cases: list[str]) -> dict[str, set[str]]:
        """The streams of the events referring to each case: as read ahead, else queried."""
        found: dict[str, set[str]] = {}
        stored = self._stored
        unread = cases
        if stored is not None:
            unread = [c for c in cases if c not in stored.referrers]
            found.update((c, set(stored.referrers[c])) for c in cases if c in stored.referrers)
        if unread:
            for case, referrers in writer.referrers_of_keys(unread).items():
                found[case] = {r.stream for r in referrers}
        return found

    def _first_fold(self, owner: str, streams: set[str], events: Sequence[StreamRow]) -> Subject:
        """A subject touched for the first time: the rows of its events before this batch
        (what the read models hold) and the fold of all its events (``events``, in global
        order). The events before the batch are folded once, and that fold goes on with
        the batch's events after their rows are taken (rows are made of copies of the
        fold's records), instead of folding them again; unless the batch holds a
        retraction, which may take out an event folded before it: then the events are
        folded again, as a whole."""
        split = bisect_left(events, self._batch_start, key=_position)
        builder = _fold_of(events[:split])
        subject = Subject(streams, _rows_of(builder, owner))
        batch = events[split:]
        if any(row[2] == _RETRACTION for row in batch):
            subject.builder = _fold_of(events)
        else:
            # a retraction before the batch targets an event before it: none to leave out
            _fold_into(builder, batch, frozenset())
            subject.builder = builder
        return subject

    # --- writing ----------------------------------------------------------------------

    def _write(self, writer: Writer, touched: Iterable[str]) -> None:
        """Write the rows of the touched subjects that differ from those last written."""
        stale: list[tuple[str, str, int]] = []
        new: list[RecordRow] = []
        # SQLite: a changed row is updated where it is (its key kept); deleted, only a
        # row whose key is gone. (PostgreSQL writes a new version of an updated row
        # anyway: there it is deleted and inserted.)
        in_place = not is_postgresql(writer.connection)
        for owner in touched:
            subject = self._subjects[owner]
            rows = _rows_of(subject.builder, owner)
            before = subject.rows
            if in_place:
                stale.extend((owner, *key) for key in before if key not in rows)
            else:
                stale.extend((owner, *key) for key, row in before.items() if rows.get(key) != row)
            new.extend(row for key, row in rows.items() if before.get(key) != row)
            subject.rows = rows
        delete_rows(writer.connection, stale)
        # by kind: rows of one kind share their columns, so they go in one statement
        new.sort(key=lambda row: row.kind)
        if new:
            prepared = prepared_rows(new, writer.time_zone())
            insert_rows(writer.connection, prepared, in_place=in_place)
        while len(self._subjects) > self._limit:
            self._subjects.popitem(last=False)


def _events_of(
    connection: Connection,
    streams: list[str],
    ahead: dict[str, list[StreamRow]] | None,
    types: Collection[str] | None = None,
) -> list[StreamRow]:
    """Every event of these streams (only of ``types``, when given): those ``ahead``
    holds as read ahead (PostgreSQL: the batch's :class:`StoredSubjects`, its streams
    read whole or a case's protocol and meetings), the rest queried."""
    if ahead is None:
        return stored_events_of_streams(connection, streams, types)
    rows = [row for s in streams if s in ahead for row in ahead[s]]
    unread = [s for s in streams if s not in ahead]
    return rows + stored_events_of_streams(connection, unread, types)


def _fold_of(events: Sequence[StreamRow]) -> FactBuilder:
    """The fold of these events as stored (in global order) as the log derives it:
    retracted events, and the retractions themselves, left out."""
    retracted = {_field(row[4], "event_id") for row in events if row[2] == _RETRACTION}
    builder = FactBuilder()
    _fold_into(builder, events, retracted)
    return builder


def _fold_into(
    builder: FactBuilder, events: Iterable[StreamRow], retracted: Collection[str]
) -> None:
    """Fold these events as stored (in global order) into ``builder``: those of
    ``retracted``, and retractions, left out."""
    apply, apply_stored = builder.apply, builder.apply_stored
    for position, event_id, type_name, occurred_at, data, _ in events:
        if event_id in retracted or type_name == _RETRACTION:
            continue
        if isinstance(data, Event):  # an older schema version, upcast
            apply(data, position)
        else:
            apply_stored(type_name, data, occurred_at, event_id, position)


def _field(data: dict[str, Any] | Event, name: str) -> Any:
    """A field of an event's data as stored (or of an older version's, decoded)."""
    return getattr(data.data, name) if isinstance(data, Event) else data[name]


def _position(row: StreamRow) -> int:
    return row[0]


def _rows_of(builder: FactBuilder, owner: str) -> dict[RowKey, RecordRow]:
    """The rows a subject's fold gives, by key."""
    return {row.key: row for row in record_rows(facts_of(builder), (owner,))}


def _meetings_and_protocol(events: Iterable[StreamRow]) -> Iterable[str]:
    for row in events:
        type_name, data = row[2], row[4]
        if type_name == CaseListed.TYPE:
            yield f"protocol:{_field(data, 'pathway')}"
            yield f"meeting:{_field(data, 'meeting_id')}"
        elif type_name == CaseRelisted.TYPE:
            yield f"meeting:{_field(data, 'meeting_id')}"
