"""The facade on a fresh embedded home per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from variosync import Settings, Variosync

# Settings read these; a developer's own environment must not point the tests elsewhere.
ENVIRONMENT = [
    name
    for field in Settings.model_fields.values()
    for name in getattr(field.validation_alias, "choices", [])
    if isinstance(name, str) and name.isupper()
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Variosync]:
    with Variosync(Settings(home=tmp_path / "home")) as vs:
        yield vs
