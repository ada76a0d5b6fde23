"""Projections: the read models kept in the database from the log.

The records they hold are those the reports are defined over (:mod:`coord.reports.records`),
derived by the same fold; :mod:`.rows` turns facts into rows (one definition, used by the
incremental projector and by rebuild alike), :mod:`.projector` keeps them up to date in
every append transaction, :mod:`.rebuild` recomputes them, and :mod:`.live` reads the
facts a report needs back from them.
"""
