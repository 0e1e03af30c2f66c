"""The catalog on SQLite (embedded) and on the machine's PostgreSQL, with Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from variosync import Settings, Variosync
from variosync.catalog import DatasetCatalog, check, make_engine, upgrade, validate_name
from variosync.catalog.migrate import HEAD, current_revision, head_revision
from variosync.errors import ConfigError, NotFoundError, UsageError


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    else:
        raw = request.getfixturevalue("postgres_url")
        url = Settings(database_url=raw).catalog_url
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    if request.param == "postgresql":
        from variosync.catalog.tables import Base

        Base.metadata.drop_all(eng)
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    eng.dispose()


def test_migrations_reach_head_and_create_the_tables(engine: Engine) -> None:
    assert head_revision() == HEAD, "bump migrate.HEAD when adding a migration"
    assert current_revision(engine) == HEAD
    assert "datasets" in inspect(engine).get_table_names()
    check(engine)


def test_unmigrated_catalog_is_refused_with_a_hint(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with pytest.raises(ConfigError) as caught:
        check(eng)
    assert caught.value.hint == "run `variosync db upgrade`"


def test_create_get_list_update_delete(engine: Engine) -> None:
    catalog = DatasetCatalog(engine)
    created, new = catalog.get_or_create("prices", "ohlcv")
    again, fresh = catalog.get_or_create("prices", "generic")
    assert (again.id, new, fresh) == (created.id, True, False)
    assert created.version == -1 and created.kind == "ohlcv"
    start = datetime(1960, 1, 1, tzinfo=UTC)
    updated = catalog.update(
        created.id,
        fields=[{"name": "close", "dtype": "Float64", "unit": "USD"}],
        row_count=10,
        series_count=2,
        start=start,
        end=datetime(2024, 1, 1, tzinfo=UTC),
        delta_version=3,
    )
    assert updated.version == 3
    fetched = catalog.get("prices")
    assert fetched.start == start
    assert fetched.fields[0].unit == "USD"
    assert [d.name for d in catalog.list()] == ["prices"]
    assert catalog.list(owner="someone-else") == []
    catalog.delete(created.id)
    with pytest.raises(NotFoundError, match="no dataset named 'prices'"):
        catalog.get("prices")


@pytest.mark.parametrize("name", ["", "../etc", "a b", "x" * 129, "-lead", "a/b", "ü"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="invalid dataset name"):
        validate_name(name)


@pytest.mark.parametrize("name", ["a", "prices-2024", "Sensor_1.raw", "x" * 128])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.postgres
def test_facade_on_postgresql_needs_db_upgrade_first(tmp_path: Path, postgres_url: str) -> None:
    settings = Settings(home=tmp_path, database_url=postgres_url)
    engine = make_engine(settings.catalog_url)
    try:
        with pytest.raises(ConfigError, match="catalog schema is at nothing") as caught:
            Variosync(settings)
        assert caught.value.hint == "run `variosync db upgrade`"
        upgrade(engine)
        data = tmp_path / "t.csv"
        data.write_text("time,value\n2024-01-01T00:00:00Z,1.5\n")
        with Variosync(settings) as service:
            report = service.ingest([data], "pg-dataset")
            assert report.rows_written == 1
            assert service.catalog.get("pg-dataset").row_count == 1
            service.delete("pg-dataset")
    finally:
        from variosync.catalog.tables import Base

        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        engine.dispose()
