"""The domain rules: pure functions over events (SPEC §3–4), no I/O.

:class:`Ledger` is the one entry point that decides events against a
:class:`~coord.domain.log.LogReader`; :class:`InMemoryLog` is a pure in-memory log.
"""

from coord.domain.ledger import Ledger
from coord.domain.log import (
    Accepted,
    Decision,
    Duplicate,
    LogReader,
    Reference,
    Referrer,
    Rejected,
    StoredRef,
)
from coord.domain.memory import InMemoryLog, RejectedEvent, VersionConflict
from coord.domain.nhs import is_valid_nhs_number, nhs_key
from coord.domain.protocol import ProtocolVersion, protocol_in_force
from coord.domain.references import references_of

__all__ = [
    "Accepted",
    "Decision",
    "Duplicate",
    "InMemoryLog",
    "Ledger",
    "LogReader",
    "ProtocolVersion",
    "Reference",
    "Referrer",
    "Rejected",
    "RejectedEvent",
    "StoredRef",
    "VersionConflict",
    "is_valid_nhs_number",
    "nhs_key",
    "protocol_in_force",
    "references_of",
]
