"""Turning failures into messages: a user sees what went wrong and what to do, never a
traceback (set COORD_DEBUG=1 to see one). The words are
:mod:`coord.app.messages`' (the terminal UI shows the same ones)."""

from __future__ import annotations

import os
import sys
import traceback

from rich.console import Console

from coord.app.messages import message_for

__all__ = ["message_for", "report", "stderr"]

stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def report(error: BaseException) -> int:
    """Print a failure as a message on standard error and return the exit status."""
    text, status = message_for(error)
    if os.environ.get("COORD_DEBUG"):
        traceback.print_exception(error, file=sys.stderr)
    stderr.print(f"coord: {text}", markup=False)
    return status
