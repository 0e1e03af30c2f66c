"""What every command shares: settings from the environment and --home, and error output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from variosync.errors import VarioSyncError
from variosync.service import Variosync
from variosync.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


def open_service(ctx: click.Context) -> Variosync:
    """The facade for this invocation, built once from settings and ``--home``."""
    root = ctx.find_root()
    service = root.meta.get("service")
    if isinstance(service, Variosync):
        return service
    home: Path | None = root.params.get("home")
    settings = Settings(home=home) if home else Settings()
    service = Variosync(settings)
    root.meta["service"] = service
    root.call_on_close(service.close)
    return service


def fail(error: VarioSyncError) -> None:
    """Print one line (plus a hint line) to stderr and exit with the error's code."""
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    sys.exit(error.exit_code)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a VarioSyncError raised by a command into the CLI's error output."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except VarioSyncError as error:
            fail(error)
            raise  # unreachable: fail exits

    return wrapper


def echo_err(message: str) -> None:
    """A message for people, on stderr (stdout is for data)."""
    click.echo(message, err=True)


def to_json_value(value: Any) -> Any:
    """Make dataclass fields JSON-ready (datetimes as ISO 8601 UTC)."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value
