"""The MDT coordinator's forms: one per event a coordinator records, each validated by
the domain rules (via :class:`~coord.tui.forms.FormScreen`) exactly as an import would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

from coord.app.meetings import ActionStatus, CaseReadiness, Site
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    AttendanceRecorded,
    CaseDeferred,
    CaseDiscussed,
    CaseListed,
    CaseRelisted,
    DeferralReason,
    ItemReceived,
    ItemWaived,
    MeetingScheduled,
    OutcomeCommunicated,
    ProfessionalGroup,
    TechnicalIssueKind,
    TechnicalIssueReported,
    TransferChased,
    TransferFailed,
    TransferMethod,
    TransferReceived,
    TransferRequested,
    TransferSent,
)
from coord.reports.records import Meeting
from coord.tui.forms import FormField, FormScreen, data_builder
from coord.tui.workspace import format_local

GROUP_LABELS = {
    "surgeon": "surgeon",
    "oncologist": "oncologist",
    "radiologist": "radiologist",
    "pathologist": "pathologist",
    "cns": "clinical nurse specialist",
    "ahp": "allied health professional",
    "coordinator": "MDT coordinator",
    "navigator": "patient navigator",
    "manager": "manager",
    "other": "other",
}
METHOD_LABELS = {
    "iep": "image exchange portal",
    "pacs": "PACS link",
    "email": "secure email",
    "courier": "courier",
    "portal": "portal",
    "other": "other",
}
DEFERRAL_LABELS = {
    "missing_information": "missing information",
    "clinician_unavailable": "clinician unavailable",
    "technical": "technical problem",
    "time": "out of time",
    "other": "other",
}
ISSUE_LABELS = {"video_link": "video link", "remote_access": "remote access", "other": "other"}


def _choices(values: Sequence[str], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(labels.get(v, v), v) for v in values]


def site_choices(sites: Sequence[Site]) -> list[tuple[str, str]]:
    return [(f"{s.site_id} {s.name}", s.site_id) for s in sites]


def list_case(meeting: Meeting, sites: Sequence[Site], default_site: str) -> FormScreen:
    return FormScreen(
        f"List a case for {meeting.meeting_id} ({meeting.pathway})",
        [
            FormField("case_id", "Case id"),
            FormField("patient_id", "Patient id"),
            FormField(
                "presenting_site",
                "Presenting site",
                "choice",
                choices=site_choices(sites),
                default=default_site,
            ),
            FormField("referral_id", "Referral id", required=False),
        ],
        data_builder(CaseListed, {"meeting_id": meeting.meeting_id, "pathway": meeting.pathway}),
    )


def meeting_scheduled(
    pathways: Sequence[str], sites: Sequence[Site], pathway: str | None, host_site: str
) -> FormScreen:
    return FormScreen(
        "Schedule an SMDT meeting",
        [
            FormField("meeting_id", "Meeting id"),
            FormField(
                "pathway",
                "Pathway",
                "choice",
                choices=[(p, p) for p in pathways],
                default=pathway or "",
            ),
            FormField(
                "host_site", "Host site", "choice", choices=site_choices(sites), default=host_site
            ),
            FormField("scheduled_for", "Scheduled for", "datetime"),
            FormField("cutoff", "Cutoff for information", "datetime"),
        ],
        data_builder(MeetingScheduled),
    )


def item_received(case: CaseReadiness, item: str) -> FormScreen:
    return FormScreen(
        f"Item received for case {case.case.case_id}",
        [FormField("item", "Item", default=item)],
        data_builder(ItemReceived, {"case_id": case.case.case_id}),
    )


def item_waived(case: CaseReadiness, item: str) -> FormScreen:
    return FormScreen(
        f"Waive an item for case {case.case.case_id}",
        [FormField("item", "Item", default=item), FormField("reason", "Reason")],
        data_builder(ItemWaived, {"case_id": case.case.case_id}),
    )


def transfer_requested(
    case: CaseReadiness, item: str, sites: Sequence[Site], to_site: str
) -> FormScreen:
    taken = {t.transfer.transfer_id for i in case.items for t in i.transfers}
    taken |= {t.transfer.transfer_id for t in case.other_transfers}
    base = f"TR-{case.case.case_id}-{item}" if item else f"TR-{case.case.case_id}"
    suggestion, n = base, 1
    while suggestion in taken:
        n += 1
        suggestion = f"{base}-{n}"
    return FormScreen(
        f"Request a transfer for case {case.case.case_id} (patient {case.case.patient_id})",
        [
            FormField("transfer_id", "Transfer id", default=suggestion),
            FormField("item", "Item", default=item),
            FormField(
                "from_site",
                "From site",
                "choice",
                choices=site_choices(sites),
                default=case.case.presenting_site,
            ),
            FormField("to_site", "To site", "choice", choices=site_choices(sites), default=to_site),
            FormField(
                "method",
                "Method",
                "choice",
                choices=_choices(get_args(TransferMethod), METHOD_LABELS),
                default="iep",
            ),
        ],
        data_builder(
            TransferRequested,
            {"patient_id": case.case.patient_id, "case_id": case.case.case_id},
        ),
    )


def transfer_step(step: str, transfer_id: str) -> FormScreen:
    """Sent, chased or received: nothing to fill in but when."""
    model = {"sent": TransferSent, "chase": TransferChased, "received": TransferReceived}[step]
    title = {
        "sent": f"Transfer {transfer_id} sent",
        "chase": f"Chase transfer {transfer_id}",
        "received": f"Transfer {transfer_id} received",
    }[step]
    return FormScreen(title, [], data_builder(model, {"transfer_id": transfer_id}))


def transfer_failed(transfer_id: str) -> FormScreen:
    return FormScreen(
        f"Transfer {transfer_id} failed",
        [FormField("reason", "Reason")],
        data_builder(TransferFailed, {"transfer_id": transfer_id}),
    )


def attendance(
    meeting: Meeting, sites: Sequence[Site], default_site: str, now: datetime, zone: ZoneInfo
) -> FormScreen:
    return FormScreen(
        f"Attendance at {meeting.meeting_id}",
        [
            FormField("attendee_id", "Attendee id"),
            FormField("site", "Site", "choice", choices=site_choices(sites), default=default_site),
            FormField(
                "professional_group",
                "Professional group",
                "choice",
                choices=_choices(get_args(ProfessionalGroup), GROUP_LABELS),
            ),
            FormField("minutes_present", "Minutes present", "int", required=False),
        ],
        data_builder(
            AttendanceRecorded, {"meeting_id": meeting.meeting_id}, ints={"minutes_present"}
        ),
        occurred_at=_on_meeting_day(meeting, now, zone),
    )


def technical_issue(meeting: Meeting, now: datetime, zone: ZoneInfo) -> FormScreen:
    return FormScreen(
        f"Technical issue at {meeting.meeting_id}",
        [
            FormField(
                "kind",
                "Kind",
                "choice",
                choices=_choices(get_args(TechnicalIssueKind), ISSUE_LABELS),
                default="video_link",
            ),
            FormField("note", "Note", required=False),
        ],
        data_builder(TechnicalIssueReported, {"meeting_id": meeting.meeting_id}),
        occurred_at=_on_meeting_day(meeting, now, zone),
    )


def discussed(case: CaseReadiness, meeting: Meeting, now: datetime, zone: ZoneInfo) -> FormScreen:
    return FormScreen(
        f"Case {case.case.case_id} discussed at {meeting.meeting_id}",
        [FormField("outcome", "Outcome")],
        data_builder(
            CaseDiscussed, {"case_id": case.case.case_id, "meeting_id": meeting.meeting_id}
        ),
        occurred_at=_on_meeting_day(meeting, now, zone),
    )


def deferred(case: CaseReadiness, meeting: Meeting, now: datetime, zone: ZoneInfo) -> FormScreen:
    default = "missing_information" if case.missing_now else ""
    return FormScreen(
        f"Defer case {case.case.case_id} at {meeting.meeting_id}",
        [
            FormField(
                "reason",
                "Reason",
                "choice",
                choices=_choices(get_args(DeferralReason), DEFERRAL_LABELS),
                default=default,
            )
        ],
        data_builder(
            CaseDeferred, {"case_id": case.case.case_id, "meeting_id": meeting.meeting_id}
        ),
        occurred_at=_by_meeting_day(meeting, now, zone),
    )


def relisted(case: CaseReadiness, meetings: Sequence[Meeting], zone: ZoneInfo) -> FormScreen:
    choices = [
        (f"{m.meeting_id} ({format_local(m.scheduled_for, zone)})", m.meeting_id) for m in meetings
    ]
    return FormScreen(
        f"Relist case {case.case.case_id}",
        [
            FormField(
                "meeting_id",
                "Meeting",
                "choice",
                choices=choices,
                default=meetings[0].meeting_id if meetings else "",
            )
        ],
        data_builder(CaseRelisted, {"case_id": case.case.case_id}),
    )


def action_agreed(
    case: CaseReadiness, actions: Sequence[ActionStatus], sites: Sequence[Site], today: datetime
) -> FormScreen:
    taken = {a.action_id for a in actions}
    n = len(taken) + 1
    while f"A{n}" in taken:
        n += 1
    due = (today + timedelta(days=14)).date().isoformat()
    return FormScreen(
        f"Agree an action for case {case.case.case_id}",
        [
            FormField("action_id", "Action id", default=f"A{n}"),
            FormField(
                "owner_site",
                "Owner site",
                "choice",
                choices=site_choices(sites),
                default=case.case.presenting_site,
            ),
            FormField("description", "Description"),
            FormField("due", "Due (YYYY-MM-DD)", default=due),
        ],
        data_builder(ActionAgreed, {"case_id": case.case.case_id}),
    )


def action_completed(case: CaseReadiness, actions: Sequence[ActionStatus]) -> FormScreen:
    open_actions = [a for a in actions if not a.completed]
    choices = [
        (f"{a.action_id}: {a.description[:50]} (due {a.due})", a.action_id) for a in open_actions
    ]
    return FormScreen(
        f"Complete an action of case {case.case.case_id}",
        [
            FormField(
                "action_id",
                "Action",
                "choice",
                choices=choices,
                default=open_actions[0].action_id if open_actions else "",
            )
        ],
        data_builder(ActionCompleted, {"case_id": case.case.case_id}),
    )


def outcome_communicated(case: CaseReadiness, sites: Sequence[Site]) -> FormScreen:
    return FormScreen(
        f"Outcome of case {case.case.case_id} communicated",
        [
            FormField(
                "to_site",
                "To site",
                "choice",
                choices=site_choices(sites),
                default=case.case.presenting_site,
            )
        ],
        data_builder(OutcomeCommunicated, {"case_id": case.case.case_id}),
    )


def _on_meeting_day(meeting: Meeting, now: datetime, zone: ZoneInfo) -> datetime:
    """Attendance, issues and discussions occur on the meeting's local date: default to
    now on that day, else to the meeting's start (the form shows it; it can be changed)."""
    same_day = now.astimezone(zone).date() == meeting.scheduled_for.astimezone(zone).date()
    return now if same_day else meeting.scheduled_for


def _by_meeting_day(meeting: Meeting, now: datetime, zone: ZoneInfo) -> datetime:
    """A deferral occurs on the meeting's date or before it: now, if that is not later."""
    meeting_day = meeting.scheduled_for.astimezone(zone).date()
    return now if now.astimezone(zone).date() <= meeting_day else meeting.scheduled_for
