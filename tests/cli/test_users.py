"""``variosync users``: operators create, list, grant hours to and disable accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.conftest import Cli
from variosync.accounts import Accounts
from variosync.errors import AuthError, ForbiddenError
from variosync.service import Variosync
from variosync.settings import Settings

PASSWORD = "a long passphrase"


@pytest.fixture
def accounts(vs: Cli) -> Iterator[Accounts]:
    """The accounts of the CLI's home, as the server would open them."""
    service = Variosync(Settings(home=vs.home))
    yield Accounts(service.engine)
    service.close()


def _create(vs: Cli, email: str, *options: str) -> str:
    return vs.ok("users", "create", email, *options, input=PASSWORD + "\n").stderr


def _listing(vs: Cli) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in json.loads(vs.ok("users", "list", "--json").stdout)}


def test_create_reads_the_password_from_stdin(vs: Cli, accounts: Accounts) -> None:
    message = _create(vs, "Ada@Example.com", "--admin")
    assert message.startswith("created admin ada@example.com (")
    assert PASSWORD not in message
    user, token = accounts.login("ada@example.com", PASSWORD)
    assert user.is_admin and token.startswith("vss_")
    created = accounts.audit.list(action="user_created")
    assert [(e.user_id, e.target) for e in created] == [(None, user.id)]  # by an operator
    _create(vs, "bob@example.com", "--password-stdin")
    assert not accounts.users.by_email("bob@example.com").is_admin  # type: ignore[union-attr]


def test_create_asks_twice_on_a_terminal(vs: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("variosync.cli.users._interactive", lambda: True)
    result = vs.ok("users", "create", "tty@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "Password:" in result.stderr and "Repeat for confirmation:" in result.stderr
    assert PASSWORD not in result.output
    mismatch = vs("users", "create", "typo@example.com", input=f"{PASSWORD}\nother words\n")
    assert mismatch.exit_code != 0
    assert "typo@example.com" not in _listing(vs)


def test_create_refuses_bad_input_with_one_error_line(vs: Cli) -> None:
    _create(vs, "ada@example.com")
    assert "already exists" in vs.fails(
        "users", "create", "ADA@example.com", input=PASSWORD, code=4
    )
    assert "not an email" in vs.fails("users", "create", "ada", input=PASSWORD, code=2)
    assert "8 to 256" in vs.fails("users", "create", "b@example.com", input="short\n", code=2)
    assert "no password" in vs.fails("users", "create", "b@example.com", input="", code=2)
    # A password is never an argument: it would be kept in the shell's history.
    assert vs("users", "create", "c@example.com", PASSWORD).exit_code == 2


def test_list_shows_role_state_balance_and_creation(vs: Cli) -> None:
    assert vs.ok("users", "list").stdout == ""
    assert "no accounts yet" in vs.ok("users", "list").stderr
    assert json.loads(vs.ok("users", "list", "--json").stdout) == []
    _create(vs, "ada@example.com", "--admin")
    _create(vs, "bob@example.com")
    listing = _listing(vs)
    assert list(listing) == ["ada@example.com", "bob@example.com"]
    ada = listing["ada@example.com"]
    assert (ada["role"], ada["disabled"]) == ("admin", False)
    assert ada["balance_hours"] == 1.0  # the server's sign-up trial (VARIOSYNC_SIGNUP_HOURS)
    assert ada["created_at"].endswith("Z") and len(ada["id"]) == 32
    table = vs.ok("users", "list").stdout.splitlines()
    assert table[1].split()[:5] == ["bob@example.com", "user", "active", "1.000", "h"]
    assert "hash" not in vs.ok("users", "list", "--json").stdout


def test_grant_adds_hours(vs: Cli, accounts: Accounts) -> None:
    _create(vs, "ada@example.com")
    message = vs.ok("users", "grant", "ADA@example.com", "2.5").stderr
    assert message.strip() == "granted 2.5 h to ada@example.com; balance 3.5 h"
    assert _listing(vs)["ada@example.com"]["balance_hours"] == 3.5
    (grant,) = [e for e in accounts.audit.list(action="grant") if e.detail == {"ms": 9_000_000}]
    assert grant.user_id is None
    assert "no account for 'eve@example.com'" in vs.fails(
        "users", "grant", "eve@example.com", "1", code=3
    )
    for amount in ("0", "-1", "100001", "lots"):
        assert vs("users", "grant", "ada@example.com", amount).exit_code == 2
    assert _listing(vs)["ada@example.com"]["balance_hours"] == 3.5


def test_disable_locks_an_account_out_and_enable_lets_it_back(vs: Cli, accounts: Accounts) -> None:
    _create(vs, "ada@example.com")
    user, token = accounts.login("ada@example.com", PASSWORD)
    _, key = accounts.create_key(user, "laptop")
    assert vs.ok("users", "disable", "ada@example.com").stderr.strip() == "disabled ada@example.com"
    assert _listing(vs)["ada@example.com"]["disabled"] is True
    with pytest.raises(ForbiddenError, match="disabled"):
        accounts.authenticate(key)
    with pytest.raises(AuthError, match="revoked"):
        accounts.authenticate(token)  # the session ended for good
    with pytest.raises(ForbiddenError):
        accounts.login("ada@example.com", PASSWORD)
    assert vs.ok("users", "disable", "ada@example.com", "--enable").stderr.strip() == (
        "enabled ada@example.com"
    )
    assert accounts.authenticate(key).user.id == user.id
    assert [e.user_id for e in accounts.audit.list(action="user_disabled")] == [None]
    assert "no account" in vs.fails("users", "disable", "eve@example.com", code=3)
