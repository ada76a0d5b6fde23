"""The SPEC's reports (§6) and the gaps query (§7) as pure functions over derived facts
(§5): no I/O, no SQLAlchemy, so that live projections and the ``--as-of`` replay share
one definition of each metric.

- :mod:`~coord.reports.stats`: medians, p90s, ratios, rounding;
- :mod:`~coord.reports.periods`: periods, local dates and months, hours, day counts;
- :mod:`~coord.reports.records`, :mod:`~coord.reports.fold` and
  :mod:`~coord.reports.facts`: the fact records, the fold of the log and the derivation;
- one module per report, and :mod:`~coord.reports.gaps`;
- :mod:`~coord.reports.compute`: replay the log and compute a report.
"""

from coord.reports.completeness import (
    CompletenessReport,
    CompletenessRow,
    ItemCompletenessReport,
    ItemCompletenessRow,
    completeness_report,
)
from coord.reports.compute import (
    REPORTS,
    ReportDefinition,
    compute,
    compute_gaps,
    events_as_of,
    report,
)
from coord.reports.facts import Facts, derive_facts, facts_of, fold_facts, retracted_ids
from coord.reports.fold import FactBuilder
from coord.reports.gaps import GapRow, GapsReport, gaps_query
from coord.reports.handovers import HandoversReport, HandoversRow, handovers_report
from coord.reports.meetings import MeetingsReport, MeetingsRow, meetings_report
from coord.reports.model import Report, Row
from coord.reports.periods import Period, days_since, hours_between, local_date, local_month
from coord.reports.referrals import ReferralsReport, ReferralsRow, referrals_report
from coord.reports.transfers import TransfersReport, TransfersRow, transfers_report

__all__ = [
    "REPORTS",
    "CompletenessReport",
    "CompletenessRow",
    "FactBuilder",
    "Facts",
    "GapRow",
    "GapsReport",
    "HandoversReport",
    "HandoversRow",
    "ItemCompletenessReport",
    "ItemCompletenessRow",
    "MeetingsReport",
    "MeetingsRow",
    "Period",
    "ReferralsReport",
    "ReferralsRow",
    "Report",
    "ReportDefinition",
    "Row",
    "TransfersReport",
    "TransfersRow",
    "completeness_report",
    "compute",
    "compute_gaps",
    "days_since",
    "derive_facts",
    "events_as_of",
    "facts_of",
    "fold_facts",
    "gaps_query",
    "handovers_report",
    "hours_between",
    "local_date",
    "local_month",
    "meetings_report",
    "referrals_report",
    "report",
    "retracted_ids",
    "transfers_report",
]
