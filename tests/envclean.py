"""Keep a developer's own environment from pointing the tests at other settings."""

from __future__ import annotations

import pytest

from variosync.settings import Settings

# Settings read these variables.
ENVIRONMENT = [
    name
    for field in Settings.model_fields.values()
    for name in getattr(field.validation_alias, "choices", [])
    if isinstance(name, str) and name.isupper()
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset every variable Settings reads (import this fixture into a conftest)."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
