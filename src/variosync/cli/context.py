"""What every command shares: settings from the environment and --home, the service commands run
on (the local facade, or a server the home is signed in to), and error output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from variosync.errors import UsageError, VarioSyncError
from variosync.service import Variosync
from variosync.settings import Settings

if TYPE_CHECKING:
    from variosync.cli.credentials import Credentials
    from variosync.cli.remote import RemoteService

P = ParamSpec("P")
R = TypeVar("R")


def load_settings(ctx: click.Context) -> Settings:
    """Settings from the environment, with ``--home`` (or ``VARIOSYNC_HOME``) applied."""
    home: Path | None = ctx.find_root().params.get("home")
    return Settings(home=home) if home else Settings()


def works_locally(ctx: click.Context) -> bool:
    """Whether ``--local`` (or ``VARIOSYNC_LOCAL=1``) keeps this invocation off any server."""
    return bool(ctx.find_root().params.get("local"))


def remote_credentials(ctx: click.Context) -> Credentials | None:
    """The server this invocation's commands go to (None: they run locally)."""
    if works_locally(ctx):
        return None
    from variosync.cli.credentials import load_credentials

    return load_credentials(load_settings(ctx).home)


def open_service(ctx: click.Context) -> Variosync | RemoteService:
    """What the commands run on, built once per invocation: the client of the server the home
    is signed in to (``variosync login``), else the local facade."""
    root = ctx.find_root()
    found = root.meta.get("service")
    if found is not None:
        service: Variosync | RemoteService = found
        return service
    credentials = remote_credentials(ctx)
    if credentials is not None:
        from variosync.cli.remote import RemoteService

        service = RemoteService(credentials)
    else:
        service = Variosync(load_settings(ctx))
    root.meta["service"] = service
    root.call_on_close(service.close)
    return service


def open_local(ctx: click.Context, command: str) -> Variosync:
    """The local facade, for a command that has no server route: refused (with a way out) while
    the home is signed in to a server, where the user's datasets live."""
    credentials = remote_credentials(ctx)
    if credentials is not None:
        raise UsageError(
            f"{command} works on local datasets only; commands go to {credentials.url}",
            hint=f"add --local to run it in this home: variosync --local {command} …",
        )
    service = open_service(ctx)
    assert isinstance(service, Variosync)
    return service


def fail(error: VarioSyncError) -> None:
    """Print one line (plus a hint line) to stderr and exit with the error's code."""
    click.echo(f"error: {one_line(error.message)}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    sys.exit(error.exit_code)


def one_line(message: str) -> str:
    """A message on one line: a library's multi-line cause chain (``a\n  ↳ b``) becomes ``a: b``."""
    parts = (line.strip().removeprefix("↳").strip() for line in message.splitlines())
    return ": ".join(part for part in parts if part)


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


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def echo_json(value: Any) -> None:
    """Print a value (dataclass fields, lists of them) as indented JSON on stdout."""
    click.echo(json.dumps(to_json_value(value), indent=2))


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
