"""The terminal UI (``coord tui``): the MDT coordinator, patient navigator and auditor
workspaces, the live event log, forms that validate with the domain rules as you type.

:mod:`.workspace` (who is recording, on which database) and :mod:`.actor` are headless;
everything else is Textual. Database work runs in worker threads; queries live in
:mod:`coord.app`.
"""
