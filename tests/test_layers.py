"""The layers of DESIGN.md, checked on the source: data flows one way, events → domain →
store → projections → reports → app → CLI and terminal UI, and each package imports
only the packages to its left. Like harlequin's import-linter contract, this keeps the
headless core importable without Textual, and SQLAlchemy inside the store.

Every ``import`` counts, also inside functions and ``if TYPE_CHECKING:`` blocks.

Where the code's order differs from DESIGN's picture, the rules say so: the reports are
pure functions over events (they import no store), and the projections keep the
reports' own records in the read models — so projections import reports, not the other
way round ("one definition of each metric"). ``interop`` (file formats) and ``demo``
(the generator) sit beside the core, below ``app``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "coord"

CORE = {"events", "domain", "store", "reports", "projections", "interop", "demo"}

#: the coord packages each package may import (besides itself)
MAY_IMPORT: dict[str, set[str]] = {
    "events": set(),
    "domain": {"events"},
    "store": {"events", "domain"},
    "reports": {"events", "domain"},
    "projections": {"events", "domain", "store", "reports"},
    "interop": {"events", "domain"},
    "demo": {"events", "domain", "interop"},
    "app": CORE,
    "tui": CORE | {"app"},
    # the command line is the entry point: ``coord tui`` starts the terminal UI
    "cli": CORE | {"app", "tui"},
}

#: third-party libraries that only one package may import
ONLY_IN = {
    "sqlalchemy": "store",
    "alembic": "store",
    "textual": "tui",
    "textual_plotext": "tui",
    "typer": "cli",
}

#: the pure packages: the standard library and these only (annotated_types: pydantic's
#: constraint metadata, which the event decoder reads)
PURE = {
    "events": {"pydantic", "annotated_types"},
    "domain": {"pydantic"},
    "reports": {"pydantic"},
}


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"line {node.lineno}: relative import; write coord.…")
            yield node.lineno, node.module or ""


def package_of(path: Path) -> str | None:
    """The coord package a module belongs to (None for ``coord/__init__``, ``__main__``)."""
    parts = path.relative_to(SOURCE).parts
    return parts[0] if len(parts) > 1 else None


def violations(package: str, source: str) -> list[str]:
    """Each import of ``source`` (a module of ``package``) that breaks a rule, in words."""
    found: list[str] = []
    for line, module in imported_modules(source):
        top, _, rest = module.partition(".")
        if top == "coord":
            target = rest.partition(".")[0]
            if target and target != package and target not in MAY_IMPORT[package]:
                found.append(f"line {line}: {package} imports {module} (a layer to its right)")
            continue
        owner = ONLY_IN.get(top)
        if owner is not None and owner != package:
            found.append(f"line {line}: {package} imports {module} (only {owner} may)")
        if package in PURE and top not in sys.stdlib_module_names and top not in PURE[package]:
            found.append(f"line {line}: {package} imports {module} (it stays pure)")
    return found


def modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if package_of(p) is not None)


def test_every_package_has_rules() -> None:
    packages = {package_of(p) for p in modules()}
    assert packages == set(MAY_IMPORT), "a new package needs its place in MAY_IMPORT"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_module_imports_only_layers_to_its_left(path: Path) -> None:
    package = package_of(path)
    assert package is not None
    assert violations(package, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("app", "from sqlalchemy import select", "app imports sqlalchemy (only store may)"),
        (
            "tui",
            "def f():\n    from coord.cli.errors import message_for",
            "tui imports coord.cli.errors (a layer to its right)",
        ),
        (
            "store",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import coord.reports",
            "store imports coord.reports (a layer to its right)",
        ),
        ("app", "import textual.widgets", "app imports textual.widgets (only tui may)"),
        ("domain", "import orjson", "domain imports orjson (it stays pure)"),
        ("reports", "from coord.projections import live", "reports imports coord.projections"),
    ],
)
def test_the_rules_catch_a_wrong_import(package: str, source: str, expected: str) -> None:
    found = violations(package, source)
    assert len(found) == 1 and expected in found[0]


def test_allowed_imports_pass() -> None:
    source = "import sqlalchemy\nfrom coord.events import Event\nfrom coord.store import log"
    assert violations("store", source) == []
    assert violations("cli", "from coord.tui.app import CoordApp\nimport typer") == []
