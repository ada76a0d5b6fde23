"""A modal form that records one event, validating with the domain rules as you type.

Each change builds the event's data (a schema error becomes a plain message) and asks
the workspace, in a worker, whether the rules would accept it; the rule's message is
shown under the fields. Enter or ctrl+s records it; on rejection the form stays open with
the reason (nothing is written); on success it is dismissed with the stored event.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, cast

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from coord.app.messages import message_for
from coord.app.recording import EventRejected
from coord.events import Event, EventData, describe_errors
from coord.tui.workspace import Workspace, format_local, parse_local

FieldKind = Literal["text", "choice", "datetime", "int"]
OCCURRED_AT = "occurred_at"


@dataclass(frozen=True)
class FormField:
    """One field of a form; ``choices`` are (label, value) pairs for a ``choice``."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    choices: Sequence[tuple[str, str]] = ()
    default: str = ""


class FormInvalid(ValueError):
    """What the user typed cannot be made into the event's data; says what to fix."""


class HasWorkspace(Protocol):
    workspace: Workspace

    def check_log(self) -> None: ...


def data_builder(
    model: type[EventData], fixed: Mapping[str, Any] | None = None, ints: Collection[str] = ()
) -> Callable[[Mapping[str, str]], EventData]:
    """A ``build`` for :class:`FormScreen`: the form's values (empty ones left out, those
    named in ``ints`` as integers) plus ``fixed`` values, validated by the event's model."""
    constant = dict(fixed or {})

    def build(values: Mapping[str, str]) -> EventData:
        data: dict[str, Any] = dict(constant)
        for name, value in values.items():
            if value == "":
                continue
            data[name] = int(value) if name in ints else value
        return model.model_validate(data)

    return build


def field_message(error: ValidationError, labels: Mapping[str, str]) -> str:
    """A schema error in the words of the form: field names become their labels."""
    message = describe_errors(error)
    for name, label in labels.items():
        message = message.replace(f"{name}:", f"{label}:")
    return message


class FormBody(VerticalScroll, can_focus=False):
    """The form's fields (scrolls if the terminal is short; the fields take the focus)."""


class FormScreen(ModalScreen[Event | None]):
    """Record one event: the fields, plus when it occurred (default now, local time)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > #form {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FormScreen #form-title { text-style: bold; width: 1fr; padding: 0 0 1 0; }
    FormScreen .form-row { height: 1; margin: 0 0 1 0; }
    FormScreen .form-label { width: 26; color: $text-muted; }
    FormScreen .form-row Input, FormScreen .form-row Select { width: 1fr; }
    FormScreen #form-message { height: auto; padding: 1 0 0 0; }
    FormScreen #form-message.-error { color: $error; }
    FormScreen #form-message.-ok { color: $success; }
    FormScreen #form-hint { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Record", id="form.submit"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        build: Callable[[Mapping[str, str]], EventData],
        *,
        occurred_at: datetime | None = None,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = tuple(fields)
        self._build = build
        self._occurred_at = occurred_at
        self._generation = 0
        self._saving = False
        #: the last message shown (tests and the help read it)
        self.message = ""

    @property
    def workspace(self) -> Workspace:
        return cast(HasWorkspace, self.app).workspace

    def compose(self) -> ComposeResult:
        zone = self.workspace.time_zone
        with FormBody(id="form"):
            yield Label(self.form_title, id="form-title")
            for spec in self.fields:
                with Horizontal(classes="form-row"):
                    suffix = "" if spec.required else " (optional)"
                    yield Label(spec.label + suffix, classes="form-label")
                    yield self._widget(spec)
            with Horizontal(classes="form-row"):
                yield Label(f"Occurred at ({zone.key})", classes="form-label")
                default = format_local(self._occurred_at or self.workspace.now(), zone)
                yield Input(default, id=f"field-{OCCURRED_AT}", compact=True)
            yield Static("", id="form-message")
            yield Static("enter or ctrl+s: record · escape: cancel", id="form-hint")

    def _widget(self, spec: FormField) -> Input | Select[str]:
        if spec.kind == "choice":
            value = spec.default if spec.default in {v for _, v in spec.choices} else Select.NULL
            return Select(
                list(spec.choices),
                value=value,
                allow_blank=not spec.required or value is Select.NULL,
                prompt=f"choose {spec.label.lower()}",
                id=f"field-{spec.name}",
                compact=True,
            )
        placeholder = "YYYY-MM-DD HH:MM" if spec.kind == "datetime" else ""
        return Input(
            spec.default,
            id=f"field-{spec.name}",
            placeholder=placeholder,
            compact=True,
            type="integer" if spec.kind == "int" else "text",
        )

    def on_mount(self) -> None:
        first = self.query(".form-row Input, .form-row Select").first()
        first.focus()
        self.revalidate()

    # --- reading the form ---------------------------------------------------------------

    def raw_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for spec in (*self.fields, FormField(OCCURRED_AT, "Occurred at", "datetime")):
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Select):
                value = widget.value
                values[spec.name] = "" if value is Select.NULL else str(value)
            else:
                values[spec.name] = cast(Input, widget).value.strip()
        return values

    def values(self) -> tuple[EventData, datetime]:
        """The event's data and when it occurred, or :class:`FormInvalid`."""
        raw = self.raw_values()
        zone = self.workspace.time_zone
        when_text = raw.pop(OCCURRED_AT)
        if not when_text:
            raise FormInvalid("Occurred at: is required")
        try:
            occurred_at = parse_local(when_text, zone)
        except ValueError as error:
            raise FormInvalid(f"Occurred at: {error}") from None
        values: dict[str, str] = {}
        for spec in self.fields:
            value = raw[spec.name]
            if not value:
                if spec.required:
                    raise FormInvalid(f"{spec.label}: is required")
                values[spec.name] = ""
                continue
            if spec.kind == "int" and not value.lstrip("-").isdigit():
                raise FormInvalid(f"{spec.label}: must be a whole number")
            if spec.kind == "datetime":
                try:
                    value = parse_local(value, zone).isoformat()
                except ValueError as error:
                    raise FormInvalid(f"{spec.label}: {error}") from None
            values[spec.name] = value
        try:
            data = self._build(values)
        except ValidationError as error:
            labels = {f.name: f.label for f in self.fields}
            raise FormInvalid(field_message(error, labels)) from None
        except ValueError as error:
            raise FormInvalid(str(error)) from None
        return data, occurred_at

    # --- validating as you type ---------------------------------------------------------

    def on_input_changed(self, _: Input.Changed) -> None:
        self.revalidate()

    def on_select_changed(self, _: Select.Changed) -> None:
        self.revalidate()

    def revalidate(self) -> None:
        self._generation += 1
        try:
            data, occurred_at = self.values()
        except FormInvalid as error:
            self._show(str(error), ok=False)
            return
        self._check(data, occurred_at, self._generation)

    @work(thread=True, exclusive=True, group="form-check")
    def _check(self, data: EventData, occurred_at: datetime, generation: int) -> None:
        try:
            reason = self.workspace.check(data, occurred_at=occurred_at)
        except Exception as error:
            reason = f"could not check with the database: {error}"
        self.app.call_from_thread(self._checked, reason, generation)

    def _checked(self, reason: str | None, generation: int) -> None:
        if generation != self._generation or self._saving:
            return  # the form changed since this check started
        self._show(reason or "the rules accept this; enter or ctrl+s records it", reason is None)

    def _show(self, text: str, ok: bool) -> None:
        self.message = text
        widget = self.query_one("#form-message", Static)
        widget.update(("✓ " if ok else "✗ ") + text)
        widget.set_class(not ok, "-error")
        widget.set_class(ok, "-ok")

    # --- recording ----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self._saving:
            return
        self._generation += 1
        try:
            data, occurred_at = self.values()
        except FormInvalid as error:
            self._show(str(error), ok=False)
            return
        self._saving = True
        self._show("recording…", ok=True)
        self._save(data, occurred_at)

    @work(thread=True, exclusive=True, group="form-save")
    def _save(self, data: EventData, occurred_at: datetime) -> None:
        try:
            event = self.workspace.record(data, occurred_at=occurred_at)
        except EventRejected as rejected:
            self.app.call_from_thread(self._refused, rejected.reason)
        except Exception as error:
            self.app.call_from_thread(self._refused, f"not recorded: {describe_failure(error)}")
        else:
            self.app.call_from_thread(self._recorded, event)

    def _refused(self, reason: str) -> None:
        self._saving = False
        self._show(reason, ok=False)

    def _recorded(self, event: Event) -> None:
        self._saving = False
        app = cast(HasWorkspace, self.app)
        app.check_log()
        self.dismiss(event)

    def action_cancel(self) -> None:
        self.dismiss(None)


def describe_failure(error: BaseException) -> str:
    """A failure in words for the UI (the CLI's messages, without the exit status)."""
    return message_for(error)[0]
