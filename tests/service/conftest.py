"""The facade on a fresh embedded home per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.envclean import clean_environment
from variosync import Settings, Variosync

# An autouse fixture: importing it here applies it to every test in this folder.
__all__ = ["clean_environment"]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Variosync]:
    with Variosync(Settings(home=tmp_path / "home")) as vs:
        yield vs
