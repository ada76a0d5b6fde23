"""A one-line question in a modal (a patient id, a site, a file name): Enter answers,
Escape cancels (``None``)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PromptScreen(ModalScreen[str | None]):
    """Ask for one value; dismissed with the stripped text (possibly empty) or None."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > #prompt {
        width: 80; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PromptScreen #prompt-title { text-style: bold; padding: 0 0 1 0; }
    PromptScreen #prompt-hint { color: $text-muted; padding: 1 0 0 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel")
    ]

    def __init__(self, question: str, *, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.question = question
        self.initial = value
        self.hint = hint or "enter: ok · escape: cancel"

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self.question, id="prompt-title")
            yield Input(self.initial, id="prompt-value", compact=True)
            yield Static(self.hint, id="prompt-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
