"""The settings object: environment names, secrets kept out of output, paths expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from variosync import Settings


def test_secrets_never_appear_in_settings_repr() -> None:
    settings = Settings(s3_access_key_id="AKIAEXAMPLE", s3_secret_access_key="very-secret")
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings.model_dump())


def test_home_expands_the_user_folder() -> None:
    assert Settings(home="~/vs-data").home == Path.home() / "vs-data"


def test_reference_system_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/x")
    monkeypatch.setenv("AWS_BUCKET_NAME", "bucket-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    settings = Settings()
    assert settings.catalog_url == "postgresql+psycopg://u@db.example/x"
    assert settings.store_root == "s3://bucket-1/variosync"
    assert settings.storage_options()["AWS_ALLOW_HTTP"] == "true"
