"""The CLI against a real ``variosync serve`` process: ``login``, then the same commands run on
the server and answer as they do locally; ``--local``, ``logout``, ``whoami`` and the errors."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from tests.cli.conftest import Cli
from tests.services import free_port, wait_for_port
from variosync.cli.credentials import Credentials, base_url, load_credentials, save_credentials
from variosync.errors import UsageError

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
PASSWORD = "a long passphrase"


@dataclass(frozen=True)
class Server:
    """A running server: its URL and a log of what it wrote."""

    url: str

    def register(self) -> str:
        """A new account (an email) on the server, with the trial hours."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        answer = httpx.post(
            f"{self.url}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        return email


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``variosync serve`` process for the module, on a free loopback port."""
    home = tmp_path_factory.mktemp("server") / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VARIOSYNC_", "DATABASE"))}
    env["VARIOSYNC_SIGNUP_HOURS"] = "5"
    # every test signs up and in from 127.0.0.1: more than the default 20 a minute
    env["VARIOSYNC_RATE_LIMITS_IP"] = "auth=1000/minute"
    log = (home.parent / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "variosync", "--home", str(home), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if not wait_for_port(port, timeout=60):
            process.terminate()
            process.wait(timeout=20)
            log.close()
            raise AssertionError((home.parent / "server.log").read_text()[-3000:])
        yield Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def sign_in(vs: Cli, server: Server, email: str | None = None) -> str:
    """``login`` with the password on stdin; the email signed in with."""
    email = email or server.register()
    result = vs.ok("login", server.url, "--email", email, "--password-stdin", input=PASSWORD)
    assert f"signed in to {server.url} as {email}" in result.stderr
    return email


@pytest.fixture
def remote(tmp_path: Path, server: Server) -> Cli:
    """The CLI with a home signed in to the server as a new user."""
    vs = Cli(tmp_path / "client")
    sign_in(vs, server)
    return vs


@pytest.fixture
def local(tmp_path: Path) -> Cli:
    """The CLI on a plain local home."""
    return Cli(tmp_path / "local")


def _secret(vs: Cli) -> str:
    found = load_credentials(vs.home)
    assert found is not None
    return found.api_key


def _json(vs: Cli, *args: str | Path) -> Any:
    return json.loads(vs.ok(*args).stdout)


# -- signing in ----------------------------------------------------------------------------------


def test_login_keeps_a_key_only_the_owner_can_read_and_never_shows_it(
    tmp_path: Path, server: Server
) -> None:
    vs = Cli(tmp_path / "client")
    email = server.register()
    result = vs.ok("login", server.url + "/", "--email", email, "--password-stdin", input=PASSWORD)
    path = vs.home / "remote.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["url"] == server.url and stored["email"] == email
    assert stored["api_key"].startswith("vs_") and stored["key_id"]
    shown = [result.output]
    shown.append(vs.ok("whoami").output)
    shown.append(vs.ok("whoami", "--check").output)
    shown.append(vs.ok("whoami", "--json").output)
    assert all(stored["api_key"] not in text and PASSWORD not in text for text in shown)
    assert stored["api_key"] not in repr(load_credentials(vs.home))
    assert vs.ok("whoami").stdout.splitlines()[:2] == [f"server  {server.url}", f"email   {email}"]
    assert "balance 5.0 h" in shown[2]
    mine = httpx.get(
        f"{server.url}/api/v1/account/keys",
        headers={"Authorization": f"Bearer {stored['api_key']}"},
        timeout=30,
    ).json()
    assert [k["name"] for k in mine] == [f"variosync CLI on {os.uname().nodename}"]


def test_login_asks_for_email_and_password_and_replaces_an_earlier_key(
    remote: Cli, server: Server
) -> None:
    earlier = _secret(remote)
    email = server.register()
    result = remote.ok("login", server.url, input=f"{email}\n{PASSWORD}\n")
    assert "Email: " in result.stderr and "Password: " in result.stderr
    assert PASSWORD not in result.output
    assert _json(remote, "whoami", "--json")["email"] == email
    answer = httpx.get(f"{server.url}/api/v1/account", headers={"X-API-Key": earlier}, timeout=30)
    assert answer.status_code == 401  # the key of the earlier login was revoked


def test_a_wrong_password_exits_7_and_stores_nothing(tmp_path: Path, server: Server) -> None:
    vs = Cli(tmp_path / "client")
    email = server.register()
    line = vs.fails("login", server.url, "--email", email, "--password-stdin", code=7, input="no")
    assert line == "error: wrong email or password"
    assert not (vs.home / "remote.json").exists()


def test_login_with_an_existing_api_key(tmp_path: Path, server: Server) -> None:
    email = server.register()
    session = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    ).json()
    key = httpx.post(
        f"{server.url}/api/v1/account/keys",
        json={"name": "mine"},
        headers={"Authorization": f"Bearer {session['token']}"},
        timeout=30,
    ).json()["secret"]
    vs = Cli(tmp_path / "client")
    vs.ok("login", server.url, "--api-key-stdin", input=key + "\n")
    assert _json(vs, "whoami", "--json")["email"] == email
    vs.ok("logout")  # a key the user brought is theirs: it stays valid
    assert (
        httpx.get(
            f"{server.url}/api/v1/account", headers={"X-API-Key": key}, timeout=30
        ).status_code
        == 200
    )
    assert vs.fails("login", server.url, "--api-key-stdin", code=7, input="vs_wrong\n")


def test_logout_revokes_the_key_and_commands_run_locally_again(remote: Cli, server: Server) -> None:
    secret = _secret(remote)
    result = remote.ok("logout")
    assert f"signed out of {server.url}" in result.stderr
    assert not (remote.home / "remote.json").exists()
    answer = httpx.get(f"{server.url}/api/v1/account", headers={"X-API-Key": secret}, timeout=30)
    assert answer.status_code == 401
    assert remote.ok("whoami").stdout.startswith(f"local   {remote.home}")
    assert "not signed in" in remote.ok("logout").stderr


def test_a_revoked_key_says_to_sign_in_again(remote: Cli, server: Server) -> None:
    stored = load_credentials(remote.home)
    assert stored is not None and stored.key_id is not None
    revoked = httpx.delete(
        f"{server.url}/api/v1/account/keys/{stored.key_id}",
        headers={"X-API-Key": stored.api_key},
        timeout=30,
    )
    assert revoked.status_code == 204
    result = remote("datasets")
    assert result.exit_code == 7
    assert result.stderr.splitlines() == [
        "error: invalid, revoked or expired credentials",
        f"hint: sign in again: variosync login {server.url} (or work locally with --local)",
    ]


def test_a_server_that_is_down_is_named(tmp_path: Path) -> None:
    vs = Cli(tmp_path / "client")
    url = f"http://127.0.0.1:{free_port()}"
    save_credentials(vs.home, Credentials(url, "vs_" + "x" * 40, "ada@example.com"))
    line = vs.fails("datasets", code=6)
    assert line.startswith(f"error: cannot reach the server at {url}: ")
    assert "--local" in vs("datasets").stderr
    assert vs.fails("login", url, "--api-key-stdin", code=6, input="vs_x\n").startswith(
        f"error: cannot reach the server at {url}"
    )
    assert "could not revoke" not in vs.ok("logout").stderr  # no key of ours to revoke


def test_logout_forgets_the_server_even_when_it_cannot_revoke_the_key(tmp_path: Path) -> None:
    vs = Cli(tmp_path / "client")
    url = f"http://127.0.0.1:{free_port()}"
    save_credentials(vs.home, Credentials(url, "vs_" + "x" * 40, "ada@example.com", "key-1"))
    result = vs.ok("logout")
    assert f"warning: could not revoke the API key on {url}" in result.stderr
    assert not (vs.home / "remote.json").exists()


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://vs.example.com/", "https://vs.example.com"),
        ("http://vs.example.com/api/v1/", "http://vs.example.com"),
        (" http://host:8000/base/ ", "http://host:8000/base"),
        ("ftp://host", None),
        ("http://host:port", None),
        ("http://", None),
    ],
)
def test_server_addresses_are_made_canonical(typed: str, url: str | None) -> None:
    if url is None:
        with pytest.raises(UsageError, match="not a server address"):
            base_url(typed)
    else:
        assert base_url(typed) == url


def test_an_unreadable_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    vs = Cli(tmp_path / "client")
    vs.home.mkdir()
    (vs.home / "remote.json").write_text("{not json")
    line = vs.fails("datasets", code=2)
    assert line.startswith(f"error: cannot read the credentials file {vs.home / 'remote.json'}")
    assert _json(vs, "--local", "datasets", "--json") == []


# -- the same commands, here and there ---------------------------------------------------------


def test_local_flag_and_variable_keep_commands_here(remote: Cli, monkeypatch: Any) -> None:
    remote.ok("--local", "ingest", SAMPLE, "-d", "here")
    assert [d["name"] for d in _json(remote, "--local", "datasets", "--json")] == ["here"]
    assert _json(remote, "datasets", "--json") == []
    monkeypatch.setenv("VARIOSYNC_LOCAL", "1")
    assert [d["name"] for d in _json(remote, "datasets", "--json")] == ["here"]
    assert remote.ok("whoami").stdout.startswith("local   ")


def test_local_only_commands_say_so(remote: Cli, server: Server) -> None:
    line = remote.fails("optimize", "sensors", code=2)
    assert line == f"error: optimize works on local datasets only; commands go to {server.url}"
    line = remote.fails("ingest", SAMPLE, "-d", "s", "--op", "drop_duplicates", code=2)
    assert "not available on a server" in line


_VARYING = {"id", "owner", "created_at", "updated_at"}


def _entry(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in _VARYING}


def test_ingest_info_and_listing_match_local(remote: Cli, local: Cli) -> None:
    there, here = remote.ingest(SAMPLE, "-d", "sensors"), local.ingest(SAMPLE, "-d", "sensors")
    assert there == here
    assert (
        remote.ok("ingest", SAMPLE, "-d", "sensors").stdout
        == local.ok("ingest", SAMPLE, "-d", "sensors").stdout
    )
    assert [_entry(d) for d in _json(remote, "datasets", "--json")] == [
        _entry(d) for d in _json(local, "datasets", "--json")
    ]
    assert remote.ok("datasets").stdout == local.ok("datasets").stdout
    assert _entry(remote.info("sensors")) == _entry(local.info("sensors"))
    assert remote.ok("info", "sensors").stdout == local.ok("info", "sensors").stdout
    assert _json(remote, "profile", "sensors", "--json") == _json(
        local, "profile", "sensors", "--json"
    )
    assert (
        remote.ok("profile", "sensors", "-s", "outdoor").stdout
        == local.ok("profile", "sensors", "-s", "outdoor").stdout
    )
    assert remote.fails("info", "nope", code=3) == local.fails("info", "nope", code=3)


QUERIES = [
    (),
    ("--format", "csv"),
    ("--format", "json"),
    ("--format", "jsonl", "--series", "outdoor", "--start", "2024-01-15T07:00", "--limit", "7"),
    ("--every", "1h", "--agg", "mean,max", "--format", "csv"),
    ("--every", "30m", "--fields", "temperature", "--tz", "Europe/Berlin"),
    ("--latest", "--format", "json"),
]


def test_queries_match_local(remote: Cli, local: Cli) -> None:
    for vs in (remote, local):
        vs.ingest(SAMPLE, "-d", "sensors")
    for args in QUERIES:
        there, here = remote.ok("query", "sensors", *args), local.ok("query", "sensors", *args)
        assert there.stdout == here.stdout, args
        assert there.stderr == here.stderr, args
    for fmt in ("table", "csv", "json"):
        args = ("aggregates", "sensors", "--every", "1h", "--format", fmt)
        assert remote.ok(*args).stdout == local.ok(*args).stdout, fmt
    assert remote.fails("query", "sensors", "--fields", "nope") == local.fails(
        "query", "sensors", "--fields", "nope"
    )


def test_exports_match_local(remote: Cli, local: Cli, tmp_path: Path) -> None:
    for vs in (remote, local):
        vs.ingest(SAMPLE, "-d", "sensors")
    for name in ("all.csv", "all.parquet", "some.jsonl"):
        extra = ("--series", "outdoor", "--every", "1h") if name.startswith("some") else ()
        there, here = tmp_path / f"remote-{name}", tmp_path / f"local-{name}"
        remote.ok("export", "sensors", there, *extra)
        local.ok("export", "sensors", here, *extra)
        if name.endswith(".parquet"):
            assert pl.read_parquet(there).equals(pl.read_parquet(here))
        else:
            assert there.read_bytes() == here.read_bytes(), name
    assert pl.read_csv(tmp_path / "remote-all.csv").height == 1080
    out = tmp_path / "q.csv"
    remote.ok("query", "sensors", "--series", "outdoor", "--output", out)
    assert pl.read_csv(io.BytesIO(out.read_bytes())).height == 360
    assert not list(tmp_path.glob(".*.part"))


def test_history_restore_clean_and_delete_match_local(remote: Cli, local: Cli) -> None:
    for vs in (remote, local):
        vs.ingest(SAMPLE, "-d", "sensors")
        vs.ok("clean", "sensors", "--op", "outliers method=iqr action=remove")
    dry = ("clean", "sensors", "--op", "fill_nulls method=linear", "--dry-run")
    assert remote.ok(*dry).stdout == local.ok(*dry).stdout
    assert _json(remote, *dry, "--json") == _json(local, *dry, "--json")

    def steps(vs: Cli) -> list[tuple[int, str, dict[str, str]]]:
        return [(v["version"], v["operation"], v["metadata"]) for v in vs.history("sensors")]

    assert steps(remote) == steps(local)
    for vs in (remote, local):
        vs.ok("restore", "sensors", "0")
    assert steps(remote) == steps(local)
    assert remote.info("sensors")["row_count"] == local.info("sensors")["row_count"] == 1080
    assert remote.ok("delete", "sensors", "--yes").stderr == "deleted sensors\n"
    assert _json(remote, "datasets", "--json") == []
    assert remote.fails("delete", "sensors", "--yes", code=3) == local.fails(
        "delete", "nope", "--yes", code=3
    ).replace("nope", "sensors")
