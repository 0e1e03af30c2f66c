"""``variosync users``: operators manage the server's accounts on the local catalog — create,
list, grant hours, disable. Actions are audit-logged with no acting user (an operator)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click

from variosync.accounts import Accounts
from variosync.billing import hours
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.catalog.users import Role, User
from variosync.cli.context import echo_err, echo_json, json_option, load_settings, reports_errors
from variosync.cli.render import iso_time
from variosync.errors import NotFoundError, UsageError
from variosync.redis_link import RedisLink
from variosync.service import Variosync


@contextmanager
def open_accounts(ctx: click.Context) -> Iterator[Accounts]:
    """The accounts of the catalog the server would use, with the server's sign-up hours."""
    settings = load_settings(ctx)
    service = Variosync(settings)
    # with Redis, sessions live there too: disabling an account must end them there as well
    link = RedisLink(settings.redis_url, settings.redis_retry_s)
    try:
        yield Accounts(
            service.engine,
            timedelta(hours=settings.session_hours),
            round(settings.signup_hours * MS_PER_HOUR),
            link,
        )
    finally:
        service.close()
        link.close()


def _find(accounts: Accounts, email: str) -> User:
    user = accounts.users.by_email(email)
    if user is None:
        raise NotFoundError(f"no account for {email!r}", hint="variosync users list")
    return user


def _interactive() -> bool:
    return sys.stdin.isatty()


def _read_password(from_stdin: bool) -> str:
    """The new password: asked twice on a terminal, else one line of stdin (never an argument,
    which would land in the shell history and the process list)."""
    if not from_stdin and _interactive():
        password: str = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True
        )
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UsageError("no password on stdin", hint='echo "$PASSWORD" | variosync users ...')
    return line


@click.group()
def users() -> None:
    """Manage the server's accounts: create, list, grant hours, disable.

    Example: variosync users create ada@example.com --admin
    """


@users.command()
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin, one line.")
@click.pass_context
@reports_errors
def create(ctx: click.Context, email: str, admin: bool, password_stdin: bool) -> None:
    """Create an account; the password is asked for (or read from stdin, one line).

    Example: variosync users create ada@example.com --admin
    """
    password = _read_password(password_stdin)
    role = Role.ADMIN if admin else Role.USER
    with open_accounts(ctx) as accounts:
        user = accounts.create_user(None, email, password, role)
    echo_err(f"created {user.role.value} {user.email} ({user.id})")


@users.command("list")
@json_option
@click.pass_context
@reports_errors
def list_users(ctx: click.Context, as_json: bool) -> None:
    """List accounts: email, role, disabled, balance in hours, created.

    Example: variosync users list --json
    """
    with open_accounts(ctx) as accounts:
        found = accounts.users.list()
        balances = accounts.ledger.balances()
    if as_json:
        echo_json([_row(u, balances.get(u.id, 0)) for u in found])
    elif not found:
        echo_err("no accounts yet; try: variosync users create EMAIL --admin")
    else:
        width = max(len(u.email) for u in found)
        for u in found:
            state = "disabled" if u.disabled else "active"
            click.echo(
                f"{u.email:<{width}}  {u.role.value:<5}  {state:<8}  "
                f"{hours(balances.get(u.id, 0)):>10.3f} h  {iso_time(u.created_at)}"
            )


def _row(user: User, balance_ms: int) -> dict[str, object]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "disabled": user.disabled,
        "balance_hours": hours(balance_ms),
        "created_at": user.created_at,
    }


@users.command()
@click.argument("email")
@click.argument("amount", metavar="HOURS", type=click.FloatRange(0, 100_000, min_open=True))
@click.pass_context
@reports_errors
def grant(ctx: click.Context, email: str, amount: float) -> None:
    """Add hours to an account's balance.

    Example: variosync users grant ada@example.com 10
    """
    with open_accounts(ctx) as accounts:
        user = _find(accounts, email)
        accounts.grant(None, user.id, round(amount * MS_PER_HOUR))
        balance = accounts.ledger.balance_ms(user.id)
    echo_err(f"granted {amount:g} h to {user.email}; balance {hours(balance):g} h")


@users.command()
@click.argument("email")
@click.option("--enable", is_flag=True, help="Enable a disabled account again.")
@click.pass_context
@reports_errors
def disable(ctx: click.Context, email: str, enable: bool) -> None:
    """Disable an account (its sessions end, its API keys stop working), or enable it again.

    Example: variosync users disable mallory@example.com
    """
    with open_accounts(ctx) as accounts:
        user = accounts.set_disabled(None, _find(accounts, email).id, not enable)
    echo_err(f"{'enabled' if enable else 'disabled'} {user.email}")
