"""Login sessions in Redis and the catalog: two replicas (two ``Accounts`` over one PostgreSQL
catalog and one Redis) serve each other's sessions; a lost Redis signs no one out, and a session
ended while Redis could not be reached is refused everywhere (the catalog decides)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import Engine, delete, event, update

from tests.services import RedisProcess
from variosync import Settings
from variosync.accounts import Accounts
from variosync.accounts.sessions import session_key, user_sessions_key
from variosync.catalog import make_engine, upgrade
from variosync.catalog.credentials import digest
from variosync.catalog.tables import CredentialRow, UserRow
from variosync.errors import AuthError, ForbiddenError
from variosync.redis_link import RedisLink

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"
LIFETIME = timedelta(hours=6)


@pytest.fixture
def catalog_url(fresh_postgres_url: str) -> str:
    url = Settings(database_url=fresh_postgres_url).catalog_url
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


class Replicas:
    """Server processes over one catalog and one Redis, each with its own engine and link."""

    def __init__(self, catalog_url: str, redis_url: str, retry_s: float = 5.0) -> None:
        self.catalog_url, self.redis_url, self.retry_s = catalog_url, redis_url, retry_s
        self.engines: list[Engine] = []
        self.links: list[RedisLink] = []

    def replica(self, lifetime: timedelta = LIFETIME) -> Accounts:
        engine = make_engine(self.catalog_url)
        link = RedisLink(SecretStr(self.redis_url), self.retry_s)
        self.engines.append(engine)
        self.links.append(link)
        return Accounts(engine, lifetime, link=link)

    def close(self) -> None:
        for link in self.links:
            link.close()
        for engine in self.engines:
            engine.dispose()


@pytest.fixture
def replicas(catalog_url: str, redis_url: str) -> Iterator[Replicas]:
    found = Replicas(catalog_url, redis_url)
    yield found
    found.close()


@pytest.fixture
def direct(redis_url: str) -> Iterator[redis.Redis]:
    """A client of our own, to look at what the replicas wrote."""
    with redis.Redis.from_url(redis_url) as client:
        yield client


UNREACHABLE = "redis://127.0.0.1:1/0"
"""Nothing listens there: every call is refused at once."""


def queries(engine: Engine) -> list[str]:
    """The statements that ``engine`` runs from now on."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_login_writes_the_session_to_redis_expiring_with_it(
    replicas: Replicas, direct: redis.Redis
) -> None:
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)

    stored = direct.get(session_key(digest(token)))
    assert stored is not None
    data = json.loads(stored)
    assert data["user_id"] == user.id
    expires = datetime.fromisoformat(data["expires_at"])
    assert abs(expires - (datetime.now(UTC) + LIFETIME)) < timedelta(seconds=30)
    ttl_s = direct.ttl(session_key(digest(token)))
    assert LIFETIME.total_seconds() - 30 < ttl_s <= LIFETIME.total_seconds()
    assert direct.smembers(user_sessions_key(user.id)) == {digest(token).encode()}
    assert 0 < direct.ttl(user_sessions_key(user.id)) <= LIFETIME.total_seconds()
    assert token not in str(direct.keys("*"))  # only its digest is stored


def by_id_with_its_account(statement: str) -> bool:
    """Whether a statement reads one credential by primary key, joined with its user."""
    return "WHERE credentials.id = " in statement and "JOIN users" in statement


def test_a_session_in_redis_is_checked_in_the_catalog_by_id_in_one_query(
    replicas: Replicas,
) -> None:
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)
    seen = queries(replicas.engines[0])

    principal = accounts.authenticate(token)

    assert principal.user.id == user.id and principal.method == "session"
    assert principal.credential_id is not None
    assert len(seen) == 1 and by_id_with_its_account(seen[0])
    key = accounts.credentials.resolve(token)
    assert key is not None and key[0].id == principal.credential_id


def test_a_session_made_on_one_replica_is_served_and_ended_by_another(
    replicas: Replicas, direct: redis.Redis
) -> None:
    one, two = replicas.replica(), replicas.replica()
    user = one.register("ada@example.com", PASSWORD)
    _, token = one.login("ada@example.com", PASSWORD)
    seen = queries(replicas.engines[1])

    assert two.authenticate(token).user.id == user.id
    assert len(seen) == 1 and by_id_with_its_account(seen[0])  # named by Redis

    two.logout(token)

    assert direct.get(session_key(digest(token))) is None
    for replica in (one, two):
        with pytest.raises(AuthError):
            replica.authenticate(token)


def test_signing_out_by_session_id_ends_it_everywhere(
    replicas: Replicas, direct: redis.Redis
) -> None:
    # the REST route signs out with the principal's credential id, not the token
    one, two = replicas.replica(), replicas.replica()
    one.register("ada@example.com", PASSWORD)
    _, kept = one.login("ada@example.com", PASSWORD)
    _, token = one.login("ada@example.com", PASSWORD)
    principal = two.authenticate(token)
    assert principal.credential_id is not None

    two.credentials.revoke(principal.user.id, principal.credential_id)

    with pytest.raises(AuthError):
        one.authenticate(token)
    assert direct.get(session_key(digest(token))) is None
    assert one.authenticate(kept).user.id == principal.user.id
    assert direct.smembers(user_sessions_key(principal.user.id)) == {digest(kept).encode()}


def test_disabling_a_user_ends_all_their_sessions(replicas: Replicas, direct: redis.Redis) -> None:
    one, two = replicas.replica(), replicas.replica()
    user = one.register("ada@example.com", PASSWORD)
    tokens = [one.login("ada@example.com", PASSWORD)[1] for _ in range(3)]
    _, key = one.create_key(user, "script")

    two.set_disabled(None, user.id, True)

    assert direct.keys("variosync:*") == []
    two.set_disabled(None, user.id, False)
    for token in tokens:
        for replica in (one, two):
            with pytest.raises(AuthError):
                replica.authenticate(token)
    assert one.authenticate(key).method == "api_key"  # keys outlive a disabled spell


def test_a_disabled_users_session_in_redis_is_refused(replicas: Replicas) -> None:
    # disabled behind the session store's back (as an old CLI would): the account is still read
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)

    accounts.users.set_disabled(user.id, True)

    with pytest.raises(ForbiddenError):
        accounts.authenticate(token)


def test_an_expired_session_is_refused_even_if_redis_still_has_it(
    replicas: Replicas, direct: redis.Redis
) -> None:
    accounts = replicas.replica(lifetime=timedelta(seconds=1))
    accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)
    assert accounts.authenticate(token)
    assert direct.persist(session_key(digest(token)))  # as if its expiry had not fired yet

    time.sleep(1.2)

    with pytest.raises(AuthError):
        accounts.authenticate(token)


def test_a_session_lost_from_redis_is_served_by_the_catalog_and_put_back(
    replicas: Replicas, direct: redis.Redis
) -> None:
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)
    direct.flushall()

    assert accounts.authenticate(token).user.id == user.id

    assert direct.get(session_key(digest(token))) is not None
    assert direct.smembers(user_sessions_key(user.id)) == {digest(token).encode()}


def test_sessions_survive_losing_redis_and_it_is_used_again_when_back(
    catalog_url: str, redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    replicas = Replicas(catalog_url, redis_server.url, retry_s=0.2)
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    with caplog.at_level(logging.DEBUG):
        _, before = accounts.login("ada@example.com", PASSWORD)
        _, ended = accounts.login("ada@example.com", PASSWORD)
        redis_server.stop()

        assert accounts.authenticate(before).user.id == user.id  # from the catalog
        _, during = accounts.login("ada@example.com", PASSWORD)
        assert accounts.authenticate(during).user.id == user.id
        accounts.logout(ended)
        with pytest.raises(AuthError):
            accounts.authenticate(ended)

        redis_server.start()  # empty: Redis keeps nothing on disk
        time.sleep(0.25)
        _, after = accounts.login("ada@example.com", PASSWORD)
        with redis.Redis.from_url(redis_server.url) as direct:
            assert direct.get(session_key(digest(after))) is not None
            for token in (before, during, after):
                assert accounts.authenticate(token).user.id == user.id
            assert direct.get(session_key(digest(during))) is not None  # put back
        with pytest.raises(AuthError):
            accounts.authenticate(ended)
    replicas.close()
    assert "failed" in caplog.text and "answers again" in caplog.text
    assert redis_server.password and redis_server.password not in caplog.text


def test_a_sign_out_redis_missed_is_refused_by_the_other_replicas(
    replicas: Replicas, direct: redis.Redis
) -> None:
    # replica one had a failed Redis call a moment ago: it signs out in the catalog only
    one, two = replicas.replica(), replicas.replica()
    user = one.register("ada@example.com", PASSWORD)
    _, token = one.login("ada@example.com", PASSWORD)
    _, other = one.login("ada@example.com", PASSWORD)
    replicas.links[0].failed(TimeoutError(), "test")

    one.logout(token)

    assert direct.get(session_key(digest(token))) is not None  # still in Redis
    for replica in (one, two):
        with pytest.raises(AuthError):
            replica.authenticate(token)
    assert direct.get(session_key(digest(token))) is None  # two deleted the copy
    assert two.authenticate(other).user.id == user.id


def test_a_restarted_process_refuses_a_session_ended_while_redis_was_unreachable(
    replicas: Replicas,
) -> None:
    before = replicas.replica()
    before.register("ada@example.com", PASSWORD)
    _, token = before.login("ada@example.com", PASSWORD)
    replicas.links[0].failed(TimeoutError(), "test")
    before.logout(token)

    restarted = replicas.replica()

    with pytest.raises(AuthError):
        restarted.authenticate(token)


def test_disabling_and_enabling_where_redis_is_unreachable_ends_the_sessions(
    catalog_url: str, replicas: Replicas, direct: redis.Redis
) -> None:
    # an operator's `variosync users disable`, then `enable`, on a host that cannot reach Redis
    server = replicas.replica()
    user = server.register("ada@example.com", PASSWORD)
    tokens = [server.login("ada@example.com", PASSWORD)[1] for _ in range(2)]
    unreachable = Replicas(catalog_url, UNREACHABLE)
    cli = unreachable.replica()

    cli.set_disabled(None, user.id, True)
    cli.set_disabled(None, user.id, False)
    unreachable.close()

    assert all(direct.get(session_key(digest(token))) for token in tokens)  # still in Redis
    for token in tokens:
        with pytest.raises(AuthError):
            server.authenticate(token)
    _, fresh = server.login("ada@example.com", PASSWORD)
    assert server.authenticate(fresh).user.id == user.id


def test_the_catalogs_expiry_wins_over_the_copy_in_redis(
    replicas: Replicas, direct: redis.Redis
) -> None:
    accounts = replicas.replica()
    accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)
    table = CredentialRow.__table__
    with replicas.engines[0].begin() as connection:  # shortened in the catalog only
        connection.execute(update(table).values(expires_at=datetime.now(UTC)))

    with pytest.raises(AuthError):
        accounts.authenticate(token)
    assert direct.get(session_key(digest(token))) is None


def test_a_deleted_users_session_in_redis_is_refused(replicas: Replicas) -> None:
    accounts = replicas.replica()
    user = accounts.register("ada@example.com", PASSWORD)
    _, token = accounts.login("ada@example.com", PASSWORD)
    users = UserRow.__table__
    with replicas.engines[0].begin() as connection:
        connection.execute(delete(users).where(users.c.id == user.id))

    with pytest.raises(AuthError):
        accounts.authenticate(token)


def test_a_redis_entry_naming_another_session_is_not_trusted(
    replicas: Replicas, direct: redis.Redis
) -> None:
    accounts = replicas.replica()
    ada = accounts.register("ada@example.com", PASSWORD)
    bob = accounts.register("bob@example.com", PASSWORD)
    _, ada_token = accounts.login("ada@example.com", PASSWORD)
    _, bob_token = accounts.login("bob@example.com", PASSWORD)
    bobs = direct.get(session_key(digest(bob_token)))
    assert bobs is not None
    direct.set(session_key(digest(ada_token)), bobs)  # a stale or tampered entry

    assert accounts.authenticate(ada_token).user.id == ada.id  # from the catalog
    assert accounts.authenticate(bob_token).user.id == bob.id
