"""A unit of work knows the ``prev_hash`` of the events it appended (the projector asks
it of every append to tell whether its folds still hold) without reading it back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from store_helpers import at, site

from coord.store import EventStore
from coord.store.chain import GENESIS_HASH
from coord.store.log import chain_link


def test_the_chain_link_of_an_appended_event_is_known_without_a_query(
    store: EventStore,
) -> None:
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
    statements: list[str] = []

    def seen(*arguments: Any) -> None:
        statements.append(arguments[2])

    with store.writing() as writer:
        head = writer.head()
        assert head is not None
        (position,) = writer.append([site("S2", recorded=at(2))])
        event.listen(store.engine, "before_cursor_execute", seen)
        try:
            link = writer.chain_link(position)
            assert statements == []
            # an event appended before this unit of work: read from the log
            assert writer.chain_link(1) == GENESIS_HASH
            assert len(statements) == 1
        finally:
            event.remove(store.engine, "before_cursor_execute", seen)
        assert link == head.hash == chain_link(writer.connection, position)
        assert writer.chain_link(position + 1) is None
