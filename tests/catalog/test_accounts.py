"""Users, credentials, the hour ledger and the audit log on SQLite and the machine's PostgreSQL,
including concurrent debits from threads and from processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, update

from variosync import Settings
from variosync.catalog import make_engine, upgrade
from variosync.catalog.audit import AuditLog
from variosync.catalog.credentials import CredentialCatalog, CredentialKind, digest
from variosync.catalog.ledger import EntryKind, Ledger
from variosync.catalog.tables import Base, CredentialRow, UserRow
from variosync.catalog.users import Role, UserCatalog
from variosync.errors import ConflictError, NotFoundError

DEBIT_MS = 100
GRANTED_MS = 1000
DEBITS = 40


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    return Settings(database_url=request.getfixturevalue("postgres_url")).catalog_url


def _open(url: str, pool: int = 5) -> Engine:
    """An engine whose pool lets ``pool`` threads each hold their own connection."""
    if url.startswith("sqlite"):
        return make_engine(url)  # its pool grows to 15 connections, with a 60 s busy timeout
    return create_engine(url, pool_size=pool, max_overflow=0, pool_pre_ping=True)


def _drop(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated catalog database (its tables dropped afterwards)."""
    found = _url(request.param, tmp_path, request)
    engine = _open(found)
    upgrade(engine)
    yield found
    _drop(engine)


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    eng = _open(url, pool=DEBITS)
    yield eng
    eng.dispose()


@pytest.fixture
def user_id(engine: Engine) -> str:
    return UserCatalog(engine).create("ada@example.com", "argon2-hash").id


# -- users ---------------------------------------------------------------------------------------


def test_users_are_created_found_listed_and_changed(engine: Engine) -> None:
    users = UserCatalog(engine)
    ada = users.create("  Ada@Example.com ", "hash-a", Role.ADMIN)
    bob = users.create("bob@example.com", None, supabase_sub="sub-1")
    assert (ada.email, ada.role, ada.disabled, ada.is_admin) == (
        "ada@example.com",
        "admin",
        False,
        True,
    )
    assert ada.created_at.tzinfo is not None
    assert users.by_email("ADA@example.com ") == ada == users.get(ada.id)
    assert users.by_supabase_sub("sub-1") == bob
    assert users.by_email("nobody@example.com") is None
    assert [u.email for u in users.list()] == ["ada@example.com", "bob@example.com"]
    assert users.password_hash(ada.id) == "hash-a" and users.password_hash(bob.id) is None
    assert "hash" not in repr(ada)  # a User never carries the password hash
    assert users.set_disabled(bob.id, True).disabled
    assert users.set_role(bob.id, Role.ADMIN).is_admin
    with pytest.raises(ConflictError, match="already exists"):
        users.create("ADA@example.com", None)
    for change in (lambda: users.get("nope"), lambda: users.set_disabled("nope", True)):
        with pytest.raises(NotFoundError, match="no such user"):
            change()


# -- credentials ---------------------------------------------------------------------------------


def test_only_a_digest_of_a_secret_is_stored(engine: Engine, user_id: str) -> None:
    credentials = CredentialCatalog(engine)
    key, secret = credentials.issue(user_id, CredentialKind.API_KEY, "laptop")
    assert secret.startswith("vs_") and len(secret) > 40
    assert key.prefix == secret[:11] and key.name == "laptop" and key.expires_at is None
    with engine.connect() as connection:
        row = connection.execute(select(CredentialRow.__table__)).one()
    assert secret not in [str(v) for v in row] and row.secret_hash == digest(secret)
    assert credentials.resolve(secret) == (key, user_id)
    assert credentials.resolve(secret + "x") is None


def test_keys_and_sessions_are_listed_revoked_and_expire(engine: Engine, user_id: str) -> None:
    credentials = CredentialCatalog(engine)
    other = UserCatalog(engine).create("eve@example.com", None).id
    key, secret = credentials.issue(user_id, CredentialKind.API_KEY, "k")
    session, token = credentials.issue(user_id, CredentialKind.SESSION, "login", timedelta(hours=1))
    assert token.startswith("vss_") and session.expires_at is not None
    assert [c.id for c in credentials.list(user_id)] == [key.id]  # API keys only
    credentials.touch(key.id)
    assert credentials.list(user_id)[0].last_used_at is not None
    for wrong_owner_or_kind in (
        lambda: credentials.revoke(other, key.id),
        lambda: credentials.revoke(user_id, session.id, CredentialKind.API_KEY),
        lambda: credentials.revoke(user_id, "no-such-id"),
    ):
        with pytest.raises(NotFoundError):
            wrong_owner_or_kind()
    assert credentials.resolve(token) is not None and credentials.resolve(secret) is not None
    credentials.revoke_all(user_id, CredentialKind.SESSION)
    assert credentials.resolve(token) is None and credentials.resolve(secret) is not None
    revoked = credentials.revoke(user_id, key.id, CredentialKind.API_KEY)
    assert revoked.revoked_at is not None and credentials.resolve(secret) is None
    _, late = credentials.issue(user_id, CredentialKind.SESSION, "login", timedelta(hours=1))
    with engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(seconds=1)
        connection.execute(update(CredentialRow).values(expires_at=past))
    assert credentials.resolve(late) is None
    assert credentials.revoke_secret(late) is None


# -- ledger --------------------------------------------------------------------------------------


def test_the_balance_is_the_sum_of_the_entries(engine: Engine, user_id: str) -> None:
    ledger = Ledger(engine)
    assert ledger.balance_ms(user_id) == 0 and ledger.entries(user_id) == []
    ledger.credit(user_id, 5000, actor_id="admin-1", operation="grant")
    ledger.credit(user_id, 700, EntryKind.PURCHASE)
    assert ledger.debit(user_id, 1200, "op-1", operation="upload", target="prices").charged
    ledger.credit(user_id, 200, EntryKind.REFUND, idempotency_key="op-1:refund")
    entries = ledger.entries(user_id)
    assert [e.kind for e in entries] == ["refund", "debit", "purchase", "grant"]  # newest first
    assert [e.amount_ms for e in entries] == [200, -1200, 700, 5000]
    assert ledger.balance_ms(user_id) == sum(e.amount_ms for e in entries) == 4700
    assert entries[1].target == "prices" and entries[3].actor_id == "admin-1"
    assert entries[3].hours == 5000 / 3_600_000
    assert [e.amount_ms for e in ledger.entries(user_id, limit=2, offset=1)] == [-1200, 700]
    assert ledger.balances() == {user_id: 4700}


def test_a_credit_key_adds_once_and_credits_are_positive(engine: Engine, user_id: str) -> None:
    ledger = Ledger(engine)
    first = ledger.credit(user_id, 300, idempotency_key="grant:1")
    assert ledger.credit(user_id, 300, idempotency_key="grant:1") == first
    assert ledger.balance_ms(user_id) == 300
    for amount, kind in ((0, EntryKind.GRANT), (-5, EntryKind.GRANT), (5, EntryKind.DEBIT)):
        with pytest.raises(ValueError, match="positive"):
            ledger.credit(user_id, amount, kind)
    with pytest.raises(NotFoundError):
        ledger.credit("no-such-user", 10)


def test_a_debit_the_balance_cannot_cover_writes_nothing(engine: Engine, user_id: str) -> None:
    ledger = Ledger(engine)
    ledger.credit(user_id, 250)
    refused = ledger.debit(user_id, 251, "big", operation="export")
    assert (refused.charged, refused.replayed, refused.balance_ms, refused.entry) == (
        False,
        False,
        250,
        None,
    )
    assert ledger.by_key(user_id, "big") is None and len(ledger.entries(user_id)) == 1
    taken = ledger.debit(user_id, 250, "all", operation="export")
    assert taken.charged and taken.balance_ms == 0
    again = ledger.debit(user_id, 250, "all", operation="export")  # a retry: nothing new
    assert (again.charged, again.replayed, again.entry) == (False, True, taken.entry)
    ledger.credit(user_id, 40)
    partial = ledger.debit(user_id, 100, "extra", operation="export", partial=True)
    assert partial.charged and partial.entry is not None and partial.entry.amount_ms == -40
    assert ledger.balance_ms(user_id) == 0
    with pytest.raises(NotFoundError):
        ledger.debit("no-such-user", 1, "k", operation="x")


def _assert_never_negative(ledger: Ledger, user_id: str) -> None:
    """Debits of one user are serialised, so the entries' order is the order they committed in:
    the running balance must never dip below zero."""
    running = 0
    for entry in reversed(ledger.entries(user_id, limit=1000)):
        running += entry.amount_ms
        assert running >= 0, entry
    assert running == ledger.balance_ms(user_id)


def test_concurrent_debits_from_threads_never_overdraw(engine: Engine, user_id: str) -> None:
    ledger = Ledger(engine)
    ledger.credit(user_id, GRANTED_MS)
    workers = DEBITS if engine.dialect.name == "postgresql" else 10
    _warm(engine, workers)
    start = threading.Barrier(workers)

    def debit(i: int) -> bool:
        if i < workers:
            start.wait(timeout=30)
        return ledger.debit(user_id, DEBIT_MS, f"t-{i}", operation="test").charged

    with ThreadPoolExecutor(workers) as pool:
        charged = list(pool.map(debit, range(DEBITS)))
    assert sum(charged) == GRANTED_MS // DEBIT_MS
    assert ledger.balance_ms(user_id) == 0
    _assert_never_negative(ledger, user_id)


def test_concurrent_debits_under_one_key_charge_once(engine: Engine, user_id: str) -> None:
    ledger = Ledger(engine)
    ledger.credit(user_id, GRANTED_MS)
    workers = 20 if engine.dialect.name == "postgresql" else 10
    _warm(engine, workers)
    start = threading.Barrier(workers)

    def debit(_: int) -> tuple[bool, bool]:
        start.wait(timeout=30)
        result = ledger.debit(user_id, DEBIT_MS, "req:same", operation="test")
        return result.charged, result.replayed

    with ThreadPoolExecutor(workers) as pool:
        outcomes = list(pool.map(debit, range(workers)))
    assert outcomes.count((True, False)) == 1
    assert outcomes.count((False, True)) == workers - 1
    assert ledger.balance_ms(user_id) == GRANTED_MS - DEBIT_MS
    assert len(ledger.entries(user_id)) == 2


def _warm(engine: Engine, connections: int) -> None:
    """Open the pool's connections up front, so the threads start their debits together."""
    opened = [engine.connect() for _ in range(connections)]
    for connection in opened:
        connection.close()


def _debit_in_process(url: str, user_id: str, count: int, start: Any, results: Any) -> None:
    """One process: its own engine, ``count`` threads debiting at once; puts how many were
    charged on ``results``."""
    engine = _open(url, pool=count)
    try:
        ledger = Ledger(engine)
        _warm(engine, count)
        start.wait(60)
        name = multiprocessing.current_process().name

        def debit(i: int) -> bool:
            return ledger.debit(user_id, DEBIT_MS, f"{name}-{i}", operation="test").charged

        with ThreadPoolExecutor(count) as pool:
            results.put(sum(pool.map(debit, range(count))))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_concurrent_debits_from_processes_never_overdraw(
    url: str, engine: Engine, user_id: str
) -> None:
    ledger = Ledger(engine)
    ledger.credit(user_id, GRANTED_MS)
    processes = 4
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes + 1), context.Queue()
    workers = [
        context.Process(
            target=_debit_in_process,
            args=(url, user_id, DEBITS // processes, start, results),
            name=f"debiter-{n}",
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(120)
        charged = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(30)
    assert [w.exitcode for w in workers] == [0] * processes
    assert sum(charged) == GRANTED_MS // DEBIT_MS
    assert ledger.balance_ms(user_id) == 0
    _assert_never_negative(ledger, user_id)


# -- audit log -----------------------------------------------------------------------------------


def test_the_audit_log_filters_by_user_action_and_time(engine: Engine) -> None:
    audit = AuditLog(engine)
    before = datetime.now(UTC)
    audit.record("login", user_id="u1", client_ip="10.0.0.1")
    audit.record("grant", user_id=None, target="u2", detail={"ms": 5})
    audit.record("login_failed", user_id="u2", target="x" * 300, client_ip="10.0.0.2")
    after = datetime.now(UTC)
    events = audit.list()
    assert [e.action for e in events] == ["login_failed", "grant", "login"]  # newest first
    assert events[1].detail == {"ms": 5} and events[1].user_id is None
    assert len(events[0].target) == 256 and events[2].client_ip == "10.0.0.1"
    assert all(before <= e.at <= after and e.at.tzinfo is not None for e in events)
    assert [e.action for e in audit.list(user_id="u2")] == ["login_failed"]
    assert [e.action for e in audit.list(action="login")] == ["login"]
    assert audit.list(since=after + timedelta(seconds=1)) == []
    assert len(audit.list(until=after + timedelta(seconds=1))) == 3
    # The same instant written with an offset, and as a naive UTC time, filters the same way.
    berlin = (before - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=2)))
    assert len(audit.list(since=berlin)) == 3
    assert len(audit.list(since=(after + timedelta(seconds=1)).replace(tzinfo=None))) == 0
    assert [e.action for e in audit.list(limit=1, offset=1)] == ["grant"]
    assert audit.list(since=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))))


def test_a_deleted_user_takes_their_ledger_and_credentials(engine: Engine, user_id: str) -> None:
    Ledger(engine).credit(user_id, 10)
    CredentialCatalog(engine).issue(user_id, CredentialKind.API_KEY)
    with engine.begin() as connection:
        connection.execute(UserRow.__table__.delete())
    assert Ledger(engine).balances() == {}
    assert CredentialCatalog(engine).list(user_id) == []
