"""Imports run one way: front ends → facade → core and adapters; the core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "variosync"

# layer -> packages/modules it must never import
FRONT = ("service", "cli", "api", "web")
"""The facade and the front ends: nothing below them imports them."""
GLUE = (
    "ingest",
    "cleaning",
    "profiling",
    "versioning",
    "streaming",
    "accounts",
    "billing",
    "cache",
    "events",
    "charts",
)
"""Service-level modules that tie the core to the adapters."""
ADAPTERS = ("store", "catalog", "redis_link")
CORE_NEIGHBOURS = (
    "formats",
    "normalize",
    "validate",
    "clean",
    "quality",
    "query",
    "selection",
    "export",
)


def _core(*allowed: str) -> tuple[str, ...]:
    """What a core layer must not import: adapters, glue, front ends, and the core layers
    other than ``allowed``."""
    return (*ADAPTERS, *GLUE, *FRONT, *(n for n in CORE_NEIGHBOURS if n not in allowed))


FORBIDDEN = {
    "formats": _core("formats", "validate"),
    "normalize": _core("normalize", "formats", "validate"),
    "validate": _core("validate", "formats", "normalize"),
    "clean": _core("clean", "query", "validate"),
    "quality": _core("quality", "validate"),
    "query": _core("query", "normalize", "validate"),
    "selection": _core("selection", "query"),
    "export": _core("export", "formats", "validate"),
    "store": (
        "catalog",
        *GLUE,
        *FRONT,
        "formats",
        "normalize",
        "export",
        "query",
        "clean",
        "quality",
    ),
    "catalog": (
        "store",
        *GLUE,
        *FRONT,
        "formats",
        "normalize",
        "export",
        "query",
        "clean",
        "quality",
    ),
    "redis_link": (
        "store",
        "catalog",
        *GLUE,
        *FRONT,
        *CORE_NEIGHBOURS,
    ),
    "ingest": ("service", "cli", "catalog"),
    "cleaning": FRONT,
    "profiling": FRONT,
    "versioning": FRONT,
    "streaming": (*FRONT, "catalog", "store"),
    "accounts": (*FRONT, "store", "billing"),
    "billing": (*FRONT, "store"),
    "cache": (*FRONT, "store", "catalog"),
    "charts": (*FRONT, "store", "catalog"),
    "events": (*FRONT, "store", "catalog"),
    "service": ("cli", "api", "web", "accounts", "billing"),
    "api": ("cli", "web"),
    "web": ("cli",),
    "cli": (),
}


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in found if name.startswith("variosync.")}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _layer(p) in FORBIDDEN)


def test_every_package_has_import_rules() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    assert layers - set(FORBIDDEN) <= {"errors", "settings", "model"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    wrong = _imports(path) & set(FORBIDDEN[_layer(path)])
    assert not wrong, f"{path.name} ({_layer(path)}) must not import {sorted(wrong)}"


def test_no_module_is_a_bucket_or_too_long() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert path.stem not in {"utils", "helpers", "manager", "misc", "common"}, path
        assert len(path.read_text().splitlines()) <= 420, f"{path} is too long; split it"
