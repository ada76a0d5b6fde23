"""The planner's statistics after a bulk write.

PostgreSQL plans from table statistics that ``ANALYZE`` gathers, and autovacuum gathers
them only a minute or two after a table has changed by a tenth. A bulk import into an
empty or small log, or a rebuild, leaves the planner meanwhile with figures from before
it (after a 915k-event import, the read models were estimated at 7 rows where a year's
range held 9,665): its reports ran 1.2-2.5x slower until autovacuum came. So coord
analyses the tables it has just filled, after their transaction commits, as PostgreSQL's
guide to populating a database advises ("Run ANALYZE Afterwards").

SQLite keeps no statistics unless ``ANALYZE`` is run, and then keeps them until it is run
again; its planner's defaults already choose the period's index ranges, so coord never
analyses a SQLite database (statistics left behind by one large import would go stale).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text

from coord.store.engine import is_postgresql

#: the tables an import writes (the log, its references and the read models)
IMPORTED_TABLES = ("events", "event_references", "read_models")
#: the table a rebuild writes
REBUILT_TABLES = ("read_models",)


def analyse_written_tables(engine: Engine, tables: Sequence[str]) -> bool:
    """Gather the planner's statistics of ``tables`` on PostgreSQL (nothing on SQLite);
    whether it did. Run outside the writing transaction: ``ANALYZE`` samples a table's
    rows (~30,000) and takes no lock that blocks readers or writers."""
    if not is_postgresql(engine):
        return False
    with engine.begin() as connection:
        connection.execute(text(f"ANALYZE {', '.join(tables)}"))
    return True
