"""The dashboard's secret (cookie signing, token sealing): long enough, made once, the same
for every worker starting at once, never an empty file."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from variosync.errors import ConfigError
from variosync.settings import Settings
from variosync.web.app import MIN_SECRET, SECRET_FILE, storage_secret


def test_a_short_configured_secret_is_refused_without_quoting_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shorter than 32") as raised:
        storage_secret(Settings(home=tmp_path, session_secret="tiny-secret"))
    assert "tiny-secret" not in str(raised.value) + str(raised.value.hint)
    given = "x" * MIN_SECRET
    assert storage_secret(Settings(home=tmp_path, session_secret=given)) == given


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(lambda _: storage_secret(settings), range(32)))
    assert len(found) == 1 and len(found.pop()) >= MIN_SECRET
    kept = tmp_path / "home" / SECRET_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert [p.name for p in kept.parent.iterdir()] == [SECRET_FILE]  # nothing left aside


def test_an_empty_secret_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("")  # a crash between creating and writing it
    made = storage_secret(Settings(home=tmp_path))
    assert len(made) >= MIN_SECRET
    assert storage_secret(Settings(home=tmp_path)) == made
