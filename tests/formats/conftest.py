"""Fixtures shared by the reader tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Writer = Callable[[str, bytes | str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """Write bytes (or text as UTF-8) to a file called ``name`` in a temp folder."""

    def _write(name: str, data: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return _write
