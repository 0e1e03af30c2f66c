"""Imports run one way: front ends → facade → core and adapters; the core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "variosync"

# layer -> packages/modules it must never import
FORBIDDEN = {
    "formats": (
        "store",
        "catalog",
        "service",
        "cli",
        "ingest",
        "normalize",
        "export",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "normalize": (
        "store",
        "catalog",
        "service",
        "cli",
        "ingest",
        "export",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "validate": (
        "store",
        "catalog",
        "service",
        "cli",
        "ingest",
        "export",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "query": (
        "store",
        "catalog",
        "service",
        "cli",
        "ingest",
        "formats",
        "export",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "export": (
        "store",
        "catalog",
        "service",
        "cli",
        "ingest",
        "normalize",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "store": (
        "catalog",
        "service",
        "cli",
        "ingest",
        "formats",
        "normalize",
        "export",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "catalog": (
        "store",
        "service",
        "cli",
        "ingest",
        "formats",
        "normalize",
        "export",
        "query",
        "clean",
        "quality",
        "cleaning",
        "profiling",
    ),
    "clean": ("store", "catalog", "service", "cli", "ingest", "formats", "export", "quality"),
    "quality": ("store", "catalog", "service", "cli", "ingest", "formats", "export", "clean"),
    "ingest": ("service", "cli", "catalog"),
    "cleaning": ("service", "cli", "catalog"),
    "profiling": ("service", "cli"),
    "versioning": ("service", "cli"),
    "streaming": ("service", "cli", "catalog", "store"),
    "service": ("cli",),
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


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    wrong = _imports(path) & set(FORBIDDEN[_layer(path)])
    assert not wrong, f"{path.name} ({_layer(path)}) must not import {sorted(wrong)}"


def test_no_module_is_a_bucket_or_too_long() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert path.stem not in {"utils", "helpers", "manager", "misc", "common"}, path
        assert len(path.read_text().splitlines()) <= 420, f"{path} is too long; split it"
