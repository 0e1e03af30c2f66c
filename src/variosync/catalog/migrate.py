"""Building the catalog engine and bringing its schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from variosync.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0005"
"""The newest migration shipped with this version (a test pins it to the migrations folder)."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout for concurrent processes."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise ConfigError(
            f"cannot use the catalog database: {type(exc).__name__}",
            hint="check DATABASE_URL (postgresql://user@host/db) and install variosync[postgres]",
        ) from exc


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _config() -> Config:
    # Alembic is imported only when a migration actually runs: it costs every CLI call otherwise.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration in the migrations folder, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        cause = lines[0] if lines else type(exc).__name__
        raise StorageError(
            f"cannot reach the catalog database {where}: {cause}",
            hint="check that the database server is running and DATABASE_URL is right",
        ) from exc


def upgrade(engine: Engine) -> str:
    """Apply every pending migration; returns the revision reached."""
    if current_revision(engine) == HEAD:
        return HEAD
    from alembic import command

    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"catalog migration failed: {type(exc).__name__}: {exc}") from exc
    return HEAD


def check(engine: Engine) -> None:
    """Refuse to run against a catalog that is behind this version's migrations."""
    current = current_revision(engine)
    if current != HEAD:
        raise ConfigError(
            f"the catalog schema is at {current or 'nothing'}, this version needs {HEAD}",
            hint="run `variosync db upgrade`",
        )
