"""Rate limits as a client meets them: headers on every API response, 429 in the error shape
with Retry-After, budgets per account (by role) and per client address, the brute-force budget
on sign-in, trusted proxies only, one global limit for two server processes sharing Redis, and
full service — limits still enforced per process — while Redis is away."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, make_admin, make_settings, services, signup
from tests.api.test_e2e import serving
from tests.services import RedisProcess
from variosync.api import create_app
from variosync.api.clientip import client_address, trusted_networks
from variosync.api.ratelimit import budget_of, client_key
from variosync.errors import ConfigError

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
# Small budgets here are per day: a sliding-window counter lets a request more through when a
# test happens to cross its window's boundary (the previous window's count is weighted down),
# which a one-minute window would make a test flake on every minute.


def _client(tmp_path: Path, peer: str = "203.0.113.7", **settings: object) -> TestClient:
    app = create_app(make_settings(tmp_path / "home", **settings))
    return TestClient(app, client=(peer, 40000))


def _assert_limited(response: httpx.Response, budget: str) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert budget in error["message"]
    after = int(response.headers["retry-after"])
    assert 1 <= after <= 86400
    assert error["retry_after_s"] == after
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_every_api_response_carries_the_headers(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        user = signup(client)
        answers = [
            client.get("/api/v1/account", headers=user.headers),  # 200
            client.get("/api/v1/datasets/nothing", headers=user.headers),  # 404
            client.get("/api/v1/account"),  # 401
            client.get("/api/v1/datasets/x/query", params={"limit": -1}, headers=user.headers),
            client.get("/api/v1/no/such/route"),  # 404 of the router
        ]
        for answer in answers:
            assert all(name in answer.headers for name in HEADERS), answer.status_code
            assert int(answer.headers["x-ratelimit-remaining"]) >= 0
            assert int(answer.headers["x-ratelimit-reset"]) >= int(time.time()) - 1
        first = client.get("/api/v1/account", headers=user.headers)
        second = client.get("/api/v1/account", headers=user.headers)
        assert int(second.headers["x-ratelimit-remaining"]) < int(
            first.headers["x-ratelimit-remaining"]
        )
        # probes of the load balancer are not API requests
        assert "x-ratelimit-limit" not in client.get("/healthz").headers


def test_an_account_budget_runs_out_and_other_accounts_keep_theirs(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_user="other=4/day") as client:
        alice, bob = signup(client), signup(client)  # each spent one on creating its key
        for _ in range(3):
            assert client.get("/api/v1/account", headers=alice.headers).status_code == 200
        refused = client.get("/api/v1/account", headers=alice.headers)
        _assert_limited(refused, "other")
        assert "this account" in refused.json()["error"]["message"]
        assert client.get("/api/v1/account", headers=bob.headers).status_code == 200
        # another budget of the same account is untouched
        assert (
            client.get("/api/v1/datasets/none/aggregates", headers=alice.headers).status_code == 404
        )


def test_admins_have_their_roles_limits(tmp_path: Path) -> None:
    with _client(
        tmp_path, rate_limits_user="other=2/day", rate_limits_admin="other=6/day"
    ) as client:
        admin = make_admin(client)
        for _ in range(6):
            assert client.get("/api/v1/account", headers=admin.headers).status_code == 200
        _assert_limited(client.get("/api/v1/account", headers=admin.headers), "other")


def test_a_query_budget_limits_queries_not_the_rest(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_user="query=2/day") as client:
        user = signup(client)
        for _ in range(2):
            assert client.get("/api/v1/datasets/x/query", headers=user.headers).status_code == 404
        _assert_limited(client.get("/api/v1/datasets/x/aggregates", headers=user.headers), "query")
        assert client.get("/api/v1/datasets", headers=user.headers).status_code == 200
        limits = client.get("/api/v1/account/limits", headers=user.headers).json()
        query = next(b for b in limits["account"] if b["budget"] == "query")
        assert (query["limit"], query["window_s"], query["remaining"]) == (2, 86400, 0)


def test_wrong_passwords_run_out_the_sign_in_budget(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_ip="auth=5/day") as client:
        user = signup(client)  # register + login: 2 of 5
        wrong = {"email": user.email, "password": "not it"}
        for _ in range(3):
            assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
        right = {"email": user.email, "password": PASSWORD}
        refused = client.post("/api/v1/auth/login", json=right)
        _assert_limited(refused, "auth")
        assert "client address" in refused.json()["error"]["message"]
        # the account itself still works with its key
        assert client.get("/api/v1/account", headers=user.headers).status_code == 200


def test_sign_ins_of_one_account_are_limited_from_any_address(tmp_path: Path) -> None:
    settings = {"rate_limits_user": "auth=4/day", "trusted_proxies": PROXY}
    with _client(tmp_path, peer=PROXY, **settings) as client:
        user, other = signup(client), signup(client)  # one sign-in each
        wrong = {"email": user.email.upper(), "password": "guess"}
        for n in range(3):
            attempt = client.post(
                "/api/v1/auth/login", json=wrong, headers={"X-Forwarded-For": f"192.0.2.{n}"}
            )
            assert attempt.status_code == 401
        right = {"email": user.email, "password": PASSWORD}
        refused = client.post(
            "/api/v1/auth/login", json=right, headers={"X-Forwarded-For": "192.0.2.77"}
        )
        _assert_limited(refused, "sign-in attempts")
        # the other account, from the same addresses, signs in
        fine = {"email": other.email, "password": PASSWORD}
        answer = client.post(
            "/api/v1/auth/login", json=fine, headers={"X-Forwarded-For": "192.0.2.0"}
        )
        assert answer.status_code == 200
        # and the refused account's API key still works
        assert client.get("/api/v1/account", headers=user.headers).status_code == 200


def test_a_burst_of_parallel_guesses_gets_no_further_than_the_budget(tmp_path: Path) -> None:
    settings = {"rate_limits_user": "auth=5/day", "trusted_proxies": PROXY}
    with _client(tmp_path, peer=PROXY, **settings) as client:
        wrong = {"email": "victim@example.com", "password": "guess"}

        def attempt(n: int) -> int:
            hop = {"X-Forwarded-For": f"192.0.2.{n}"}
            return client.post("/api/v1/auth/login", json=wrong, headers=hop).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(attempt, range(40)))
        assert statuses.count(401) == 5, statuses  # the passwords checked
        assert statuses.count(429) == 35


def test_an_ipv6_network_is_one_client(tmp_path: Path) -> None:
    settings = {"rate_limits_ip": "other=3/day", "trusted_proxies": PROXY}
    with _client(tmp_path, peer=PROXY, **settings) as client:
        for n in range(3):
            hop = {"X-Forwarded-For": f"2001:db8:1:2::{n + 1:x}"}
            assert client.get("/api/v1/x", headers=hop).status_code == 404
        _assert_limited(
            client.get("/api/v1/x", headers={"X-Forwarded-For": "2001:db8:1:2::ff"}), "other"
        )
        assert (
            client.get("/api/v1/x", headers={"X-Forwarded-For": "2001:db8:1:3::1"}).status_code
            == 404
        )
    assert client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("192.0.2.1") == "192.0.2.1"


def test_refused_credentials_spend_the_sign_in_budget(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_ip="auth=4/day") as client:
        for n in range(4):
            bad = {"Authorization": f"Bearer vs_guess{n:040d}"}
            assert client.get("/api/v1/account", headers=bad).status_code == 401
        refused = client.post("/api/v1/auth/login", json={"email": "a@b.co", "password": "x"})
        _assert_limited(refused, "auth")


def test_account_limits_report(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_user="export=7/hour") as client:
        user = signup(client)
        body = client.get("/api/v1/account/limits", headers=user.headers).json()
        assert body["enforced"] is True and body["counted_in"] == "memory"
        assert body["role"] == "user" and body["client_ip"] == "203.0.113.7"
        account = {b["budget"]: b for b in body["account"]}
        assert set(account) == {"auth", "upload", "query", "export", "other"}
        assert account["auth"]["limit"] == 10  # sign-in attempts with this account's email
        assert account["export"]["limit"] == 7 and account["export"]["window_s"] == 3600
        assert account["export"]["remaining"] == 7
        client_budgets = {b["budget"] for b in body["client"]}
        assert client_budgets == {"auth", "upload", "query", "export", "other"}


def test_limits_can_be_turned_off(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_enabled=False, rate_limits_user="other=1/day") as client:
        user = signup(client)
        for _ in range(5):
            answer = client.get("/api/v1/account", headers=user.headers)
            assert answer.status_code == 200
            assert "x-ratelimit-limit" not in answer.headers


# --- the client address: trusted proxies only -------------------------------------------

PROXY = "198.51.100.10"


def test_spoofed_headers_from_an_untrusted_client_change_nothing(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limits_ip="other=3/day", trusted_proxies=PROXY) as client:
        for n in range(3):
            spoof = {"X-Forwarded-For": f"192.0.2.{n}", "CF-Connecting-IP": f"192.0.2.{n + 50}"}
            assert client.get("/api/v1/nothing", headers=spoof).status_code == 404
        spoof = {"X-Forwarded-For": "192.0.2.99", "CF-Connecting-IP": "192.0.2.98"}
        _assert_limited(client.get("/api/v1/nothing", headers=spoof), "other")


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    settings = {"rate_limits_ip": "other=2/day", "trusted_proxies": "198.51.100.0/24"}
    with _client(tmp_path, peer=PROXY, **settings) as client:
        for _ in range(2):
            assert (
                client.get("/api/v1/x", headers={"CF-Connecting-IP": "192.0.2.1"}).status_code
                == 404
            )
        _assert_limited(client.get("/api/v1/x", headers={"CF-Connecting-IP": "192.0.2.1"}), "other")
        # another client behind the same proxy has its own budget
        assert client.get("/api/v1/x", headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 404
        user = signup(client)
        body = client.get(
            "/api/v1/account/limits",
            headers={**user.headers, "X-Forwarded-For": "192.0.2.200, 192.0.2.3, 198.51.100.9"},
        ).json()
        assert body["client_ip"] == "192.0.2.3"  # right-most hop that is not a proxy


def test_client_address_rules() -> None:
    proxies = trusted_networks("10.0.0.0/8, 2001:db8::/32")

    def of(peer: str, **headers: str) -> str | None:
        raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
        return client_address(peer, raw, proxies)

    assert of("203.0.113.5", x_forwarded_for="1.2.3.4") == "203.0.113.5"
    # CF-Connecting-IP only through proxies all the way: a forged one at the load balancer
    # (reached directly, not through Cloudflare) loses to the address the balancer saw
    assert of("10.1.1.1", cf_connecting_ip="1.2.3.4", x_forwarded_for="5.6.7.8") == "5.6.7.8"
    assert of("10.1.1.1", cf_connecting_ip="1.2.3.4", x_forwarded_for="10.9.9.9") == "1.2.3.4"
    assert of("10.1.1.1", cf_connecting_ip="1.2.3.4") == "1.2.3.4"
    assert of("10.1.1.1", x_forwarded_for="10.3.3.3, 10.2.2.2") == "10.3.3.3"
    assert of("10.1.1.1", x_forwarded_for="9.9.9.9, 5.6.7.8, 10.2.2.2") == "5.6.7.8"
    assert of("10.1.1.1", cf_connecting_ip="garbage") == "10.1.1.1"
    assert of("10.1.1.1", x_forwarded_for="5.6.7.8, not-an-ip") == "10.1.1.1"
    assert of("10.1.1.1") == "10.1.1.1"
    assert of("2001:db8::1", x_forwarded_for="2001:db9::5") == "2001:db9::5"
    assert client_address("10.1.1.1", [(b"x-forwarded-for", b"1.2.3.4")], ()) == "10.1.1.1"


def test_bad_settings_fail_at_start_with_the_setting_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"VARIOSYNC_RATE_LIMITS_USER.*unknown budget 'querys'"):
        create_app(make_settings(tmp_path, rate_limits_user="querys=5/minute"))
    with pytest.raises(ConfigError, match="VARIOSYNC_RATE_LIMITS_IP: query='lots'"):
        create_app(make_settings(tmp_path, rate_limits_ip="query=lots"))
    with pytest.raises(ConfigError, match=r"VARIOSYNC_TRUSTED_PROXIES: 'proxy\.example'"):
        create_app(make_settings(tmp_path, trusted_proxies="10.0.0.1,proxy.example"))


# --- Redis: one global limit, and full service without it --------------------------------


def test_redis_counts_for_every_process(tmp_path: Path, redis_url: str) -> None:
    first = _client(tmp_path / "a", redis_url=redis_url, rate_limits_ip="other=5/day")
    second = _client(tmp_path / "b", redis_url=redis_url, rate_limits_ip="other=5/day")
    with first, second:
        statuses = [(first if n % 2 else second).get("/api/v1/x").status_code for n in range(6)]
        assert statuses == [404] * 5 + [429]
        assert services(first).limiter.backend() == "redis"
        with redis.Redis.from_url(redis_url) as raw:
            assert raw.keys("variosync:limits*")


@pytest.mark.slow
def test_two_server_processes_share_one_limit(tmp_path: Path, redis_url: str) -> None:
    env = {"REDIS_URL": redis_url, "VARIOSYNC_RATE_LIMITS_USER": "other=6/day"}
    with serving(tmp_path / "home", **env) as one, serving(tmp_path / "home", **env) as two:
        account = {"email": "ada@example.com", "password": "a long passphrase"}
        assert httpx.post(one + "/api/v1/auth/register", json=account).status_code == 201
        token = httpx.post(two + "/api/v1/auth/login", json=account).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        seen = []
        for n in range(8):
            answer = httpx.get((one, two)[n % 2] + "/api/v1/account", headers=bearer)
            seen.append((answer.status_code, answer.headers.get("x-ratelimit-remaining")))
        assert [s for s, _ in seen] == [200] * 6 + [429] * 2, seen
        assert [r for _, r in seen[:6]] == ["5", "4", "3", "2", "1", "0"]


def test_lost_redis_falls_back_to_process_limits_and_comes_back(
    tmp_path: Path, redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {
        "redis_url": redis_server.url,
        "redis_retry_s": 0.2,
        "rate_limits_ip": "auth=3/day",
    }
    with _client(tmp_path, **settings) as client, caplog.at_level(logging.WARNING):
        user = signup(client)
        limiter = services(client).limiter
        assert limiter.backend() == "redis"
        redis_server.stop()
        # every request still succeeds, and the sign-in budget is still enforced (per process)
        for _ in range(5):
            assert client.get("/api/v1/account", headers=user.headers).status_code == 200
        wrong = {"email": user.email, "password": "nope"}
        statuses = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded: redis"

        redis_server.start()
        time.sleep(0.3)
        assert client.get("/api/v1/account", headers=user.headers).status_code == 200
        assert limiter.backend() == "redis"
        with redis.Redis.from_url(redis_server.url) as raw:
            assert raw.keys("variosync:limits*")  # counted in Redis again, no restart
        assert client.get("/readyz").json()["status"] == "ready"
    assert redis_server.password is not None
    assert redis_server.password not in caplog.text


def test_budgets_by_route() -> None:
    assert budget_of("POST", "/auth/login") == "auth"
    assert budget_of("POST", "/datasets/a/upload") == "upload"
    assert budget_of("GET", "/datasets/a/query") == "query"
    assert budget_of("HEAD", "/datasets/a/query") == "query"  # runs the query too
    assert budget_of("GET", "/datasets/a/aggregates") == "query"
    assert budget_of("GET", "/datasets/a/export") == "export"
    assert budget_of("GET", "/datasets/a") == "other"
    # only whole routes: a made-up path ending like one is not in that budget
    assert budget_of("POST", "/anything/upload") == "other"
    assert budget_of("GET", "/datasets/a/b/query") == "other"
