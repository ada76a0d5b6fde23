"""The planner's statistics and visibility map after a bulk write.

PostgreSQL plans from table statistics that ``ANALYZE`` gathers, and answers a query from
a covering index alone (an index-only scan, how every report reads the read models) only
for pages its visibility map marks all-visible, which ``VACUUM`` sets. Autovacuum does
both only a minute or two after a table has changed by a tenth. A bulk import into an
empty or small log, or a rebuild, leaves the planner meanwhile with figures from before
it (after a 915k-event import, the read models were estimated at 7 rows where a year's
range held 9,665) and every index entry checked against its table row: a year's
meetings report at 913k events took 60 ms instead of 27 until autovacuum came. So coord
vacuums and analyses the tables it has just filled, after their transaction commits (as
PostgreSQL's guide to populating a database advises). At 913k events this takes about a
second (an import takes 80).

SQLite keeps no statistics unless ``ANALYZE`` is run, and then keeps them until it is run
again; its planner's defaults already choose the period's index ranges, so coord never
analyses a SQLite database (statistics left behind by one large import would go stale),
and it has no visibility map.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text

from coord.store.engine import is_postgresql

#: the tables an import writes (the log, its references and the read models)
IMPORTED_TABLES = ("events", "event_references", "read_models")
#: the table a rebuild writes
REBUILT_TABLES = ("read_models",)


def vacuum_and_analyse(engine: Engine, tables: Sequence[str]) -> bool:
    """``VACUUM (ANALYZE)`` of ``tables`` on PostgreSQL (nothing on SQLite); whether it
    did. Run outside any transaction (``VACUUM`` cannot run in one): it takes no lock that
    blocks readers or writers."""
    if not is_postgresql(engine):
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}"))
    return True
