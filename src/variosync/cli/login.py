"""Signing the CLI in to a server: ``login``, ``logout`` and ``whoami``.

``login`` keeps the server's URL, an API key and the email in ``$VARIOSYNC_HOME/remote.json``
(mode 0600); from then on the data commands of that home run on the server, unless ``--local``
(or ``VARIOSYNC_LOCAL=1``) is given. Secrets are never printed.
"""

from __future__ import annotations

import socket
import sys
from contextlib import suppress
from typing import TYPE_CHECKING

import click

from variosync.cli.context import (
    echo_err,
    echo_json,
    json_option,
    load_settings,
    one_line,
    reports_errors,
    works_locally,
)
from variosync.cli.credentials import (
    Credentials,
    base_url,
    credentials_path,
    load_credentials,
    save_credentials,
)
from variosync.errors import AuthError, UsageError, VarioSyncError

if TYPE_CHECKING:
    from variosync.cli.remote import RemoteService


def _read_stdin(what: str) -> str:
    value = sys.stdin.readline().strip()
    if not value:
        raise UsageError(f"no {what} on stdin", hint="pipe it in, one line")
    return value


def _client(credentials: Credentials, stored: bool = True) -> RemoteService:
    # httpx loads only for commands that talk to a server
    from variosync.cli.remote import RemoteService

    return RemoteService(credentials, stored=stored)


def key_name() -> str:
    """The name of the API key ``login`` creates: which machine it is for."""
    return f"variosync CLI on {socket.gethostname() or 'unknown host'}"[:128]


def _sign_in(url: str, email: str, password: str) -> Credentials:
    """Open a session, create an API key with it, end the session; the key's credentials."""
    with_session = _client(Credentials(url, "", email), stored=False)
    try:
        session = with_session.call(
            "POST", "/auth/login", json={"email": email, "password": password}
        )
        bearer = {"Authorization": f"Bearer {session['token']}"}
        try:
            created = with_session.call(
                "POST", "/account/keys", json={"name": key_name()}, headers=bearer
            )
        finally:  # the CLI keeps only the key: the session ends either way
            with suppress(VarioSyncError):
                with_session.call("POST", "/auth/logout", headers=bearer)
    finally:
        with_session.close()
    user = session.get("user") or {}
    return Credentials(url, created["secret"], str(user.get("email", email)), created["key"]["id"])


def _with_key(url: str, api_key: str) -> Credentials:
    """Credentials of an existing API key, checked (and its account's email read) on the server."""
    client = _client(Credentials(url, api_key, ""), stored=False)
    try:
        account = client.call("GET", "/account")
    finally:
        client.close()
    return Credentials(url, api_key, str(account.get("email", "")))


def revoke(credentials: Credentials) -> None:
    """Revoke the key ``login`` created (a key given to ``login`` is the user's to keep)."""
    if credentials.key_id is None:
        return
    client = _client(credentials)
    try:
        client.call("DELETE", f"/account/keys/{credentials.key_id}")
    except AuthError:
        pass  # revoked or expired already: nothing left to end
    finally:
        client.close()


@click.command()
@click.argument("url")
@click.option("--email", help="The account's email (asked when not given).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
@click.option(
    "--api-key-stdin",
    is_flag=True,
    help="Use an existing API key, read from stdin, instead of email and password.",
)
@click.pass_context
@reports_errors
def login(
    ctx: click.Context, url: str, email: str | None, password_stdin: bool, api_key_stdin: bool
) -> None:
    """Sign in to a server: from now on the data commands of this home run there.

    Asks for the email and password, creates an API key named after this machine and keeps it
    (with the URL and email) in the home folder's remote.json, readable by you only. Add
    --local to a command to work locally; `variosync logout` signs out.

    Example: variosync login https://variosync.example.com --email ada@example.com
    """
    home = load_settings(ctx).home
    server = base_url(url)
    if password_stdin and api_key_stdin:
        raise UsageError("give --password-stdin or --api-key-stdin, not both")
    if api_key_stdin:
        credentials = _with_key(server, _read_stdin("API key"))
    else:
        if password_stdin and not email:
            raise UsageError("--password-stdin needs --email", hint="--email ada@example.com")
        email = email or click.prompt("Email", err=True)
        password = (
            _read_stdin("password")
            if password_stdin
            else click.prompt("Password", hide_input=True, err=True)
        )
        credentials = _sign_in(server, email.strip(), password)
    previous = load_credentials(home)
    path = save_credentials(home, credentials)
    if previous is not None and previous.key_id not in (None, credentials.key_id):
        try:
            revoke(previous)
        except VarioSyncError as error:
            echo_err(f"note: the earlier key on {previous.url} stays valid: {one_line(str(error))}")
    who = f" as {credentials.email}" if credentials.email else ""
    echo_err(f"signed in to {server}{who}; commands of this home now run there")
    echo_err(f"(credentials in {path}; add --local to work locally, `variosync logout` to stop)")


@click.command()
@click.pass_context
@reports_errors
def logout(ctx: click.Context) -> None:
    """Sign out of the server: revoke the stored API key there and forget it; commands run
    locally again.

    Example: variosync logout
    """
    home = load_settings(ctx).home
    credentials = load_credentials(home)
    if credentials is None:
        echo_err(f"not signed in to a server; commands run locally in {home}")
        return
    try:
        revoke(credentials)
    except VarioSyncError as error:
        echo_err(
            f"warning: could not revoke the API key on {credentials.url}: {one_line(str(error))}"
        )
        echo_err("revoke it there later (GET /api/v1/account/keys lists it)")
    credentials_path(home).unlink(missing_ok=True)
    echo_err(f"signed out of {credentials.url}; commands run locally in {home}")


@click.command()
@click.option("--check", is_flag=True, help="Ask the server: is the key valid, what is left.")
@json_option
@click.pass_context
@reports_errors
def whoami(ctx: click.Context, check: bool, as_json: bool) -> None:
    """Show where commands run: this home folder, or a server (its URL and your email).

    Example: variosync whoami --check
    """
    home = load_settings(ctx).home
    stored = load_credentials(home)
    remote = stored is not None and not works_locally(ctx)
    found: dict[str, object] = {"runs": "server" if remote else "local", "home": str(home)}
    if stored is not None:
        found |= {"url": stored.url, "email": stored.email}
    if remote and check:
        assert stored is not None
        client = _client(stored)
        try:
            account = client.call("GET", "/account")
        finally:
            client.close()
        found |= {"email": account.get("email"), "balance_hours": account.get("balance_hours")}
    if as_json:
        echo_json(found)
        return
    if not remote:
        click.echo(f"local   {home}")
        if stored is not None:  # signed in, but --local
            click.echo(f"server  {stored.url} as {stored.email} (not used: --local)")
        return
    click.echo(f"server  {found['url']}")
    click.echo(f"email   {found['email']}")
    if "balance_hours" in found:
        click.echo(f"balance {found['balance_hours']} h")
    click.echo(f"home    {home}")


def register(group: click.Group) -> None:
    """Add the sign-in commands to the top-level group."""
    for command in (login, logout, whoami):
        group.add_command(command)
