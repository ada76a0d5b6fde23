"""What every coord screen shares: the workspace, database work in worker threads
(failures shown in the UI, never a traceback), and reloading when the log advances."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import Screen
from textual.worker import get_current_worker

from coord.tui.forms import describe_failure
from coord.tui.workspace import Workspace

if TYPE_CHECKING:
    from coord.tui.app import CoordApp

T = TypeVar("T")


class CoordScreen(Screen[None]):
    """A screen of the coord app.

    Subclasses implement :meth:`reload` (start loading their data, with
    :meth:`background`); it runs on mount, whenever the log advances while the screen is
    shown, and on returning to the screen if the log advanced meanwhile. (Textual calls
    this class's ``on_mount`` as well as a subclass's own: don't call it again with
    ``super()``, or the screen loads twice.)
    """

    HELP_TITLE = ""
    HELP = ""

    def __init__(self) -> None:
        super().__init__()
        self._stale = False
        self._seen_head: int | None = None

    @property
    def coord_app(self) -> CoordApp:
        return cast("CoordApp", self.app)

    @property
    def workspace(self) -> Workspace:
        return self.coord_app.workspace

    def on_mount(self) -> None:
        self.coord_app.log_advanced.subscribe(self, self._log_advanced)
        self._seen_head = self.coord_app.head
        self.reload()

    def on_screen_resume(self) -> None:
        if self._stale or (self._seen_head is not None and self._seen_head != self.coord_app.head):
            self._stale = False
            self._seen_head = self.coord_app.head
            self.reload()

    def _log_advanced(self, head: int) -> None:
        if self.is_current:
            self._seen_head = head
            self.reload()
        else:
            self._stale = True

    def reload(self) -> None:
        """Load (again) what the screen shows."""

    def background(
        self,
        query: Callable[[], T],
        then: Callable[[T], None],
        *,
        group: str = "load",
    ) -> None:
        """Run ``query`` in a worker thread (one per group at a time: a newer one replaces
        it), then ``then(result)`` on the UI thread; a failure is shown as an error."""
        self._run(query, cast(Callable[[Any], None], then), group)

    def _run(self, query: Callable[[], Any], then: Callable[[Any], None], group: str) -> None:
        def task() -> None:
            worker = get_current_worker()
            try:
                result = query()
            except Exception as error:
                if not worker.is_cancelled:
                    self.app.call_from_thread(self.failed, error)
                return
            if not worker.is_cancelled:
                self.app.call_from_thread(self._deliver, then, result)

        self.run_worker(task, thread=True, exclusive=True, group=group, exit_on_error=False)

    def _deliver(self, then: Callable[[Any], None], result: Any) -> None:
        if not self.is_attached:
            return
        try:
            then(result)
        except Exception as error:
            self.failed(error)

    def failed(self, error: BaseException) -> None:
        """Show a failure in the UI."""
        self.notify(describe_failure(error), title="coord", severity="error", timeout=8)
