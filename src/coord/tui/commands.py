"""The command palette's coord commands: switch workspace, and every action of the
screen the palette was opened from (its bindings, by description)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (mode, title, what it is for)
WORKSPACES = (
    ("coordinator", "MDT coordinator", "meetings, case readiness, transfers, discussions"),
    ("navigator", "Patient navigator", "handover board, outstanding transfers, timelines"),
    ("auditor", "Auditor", "reports, information gaps, trends"),
    ("log", "Event log", "every event as it is recorded, newest first"),
)


class CoordCommands(Provider):
    """Workspaces and the current screen's actions."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Awaitable[Any] | Any]]]:
        for mode, title, purpose in WORKSPACES:
            yield f"Go to: {title}", purpose, partial(self.app.switch_mode, mode)
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.system or not active.enabled:
                continue
            if binding.action in seen or binding.action.startswith("switch_mode"):
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key
            yield (
                binding.description,
                f"key: {key}",
                partial(self.app.run_action, binding.action, active.node),
            )

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)
