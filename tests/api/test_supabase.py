"""Supabase sign-in end to end: a real app, a JWKS served over loopback by a real HTTP server,
keys and tokens made here (ES256, RS256, legacy HS256) with claims shaped like Supabase's.

The signed-in route is ``GET /api/v1/account`` once it exists; until then ``POST
/api/v1/auth/logout`` (which a Supabase principal passes without effect) stands in, and the
local account is read from the catalog either way.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.api.conftest import PASSWORD, assert_error, make_settings, services
from tests.services import free_port
from variosync.accounts import supabase as supabase_module
from variosync.accounts.supabase import JWKS_PATH, SupabaseVerifier
from variosync.api import create_app
from variosync.errors import ConfigError
from variosync.settings import Settings

ACCOUNT = "/api/v1/account"
STAND_IN = "/api/v1/auth/logout"
HS_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"

EC_KEY = ec.generate_private_key(ec.SECP256R1())
EC_OTHER = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KID = "ec-" + uuid.uuid4().hex[:8]
RSA_KID = "rsa-" + uuid.uuid4().hex[:8]


def jwk(key: Any, kid: str) -> dict[str, Any]:
    """The public JWK of a private key, as Supabase publishes it."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        found = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        alg = "ES256"
    else:
        found = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        alg = "RS256"
    return {**found, "kid": kid, "alg": alg, "use": "sig", "key_ops": ["verify"], "ext": True}


class JwksServer:
    """A real HTTP server on loopback serving ``JWKS_PATH``, counting the requests for it."""

    def __init__(self) -> None:
        self.keys = [jwk(EC_KEY, EC_KID), jwk(RSA_KEY, RSA_KID)]
        self.status = 200
        self.raw: bytes | None = None  # served instead of the keys when set
        self.hits = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    if self.path == JWKS_PATH:
                        outer.hits += 1
                    status = outer.status if self.path == JWKS_PATH else 404
                    body = outer.raw if outer.raw is not None else json.dumps({"keys": outer.keys})
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def settings(tmp_path: Path, jwks: JwksServer) -> Settings:
    """Overrides conftest's: the app trusts the loopback JWKS (no HS256 secret)."""
    return make_settings(tmp_path / "home", supabase_url=jwks.url)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Start another app with these settings overrides (stopped after the test)."""
    with ExitStack() as stack:
        count = 0

        def started(**overrides: object) -> TestClient:
            nonlocal count
            count += 1
            app = create_app(make_settings(tmp_path / f"home-{count}", **overrides))
            return stack.enter_context(TestClient(app))

        yield started


def claims(issuer_url: str, **changes: Any) -> dict[str, Any]:
    """Claims shaped like a Supabase access token's; a change to None drops the claim."""
    now = int(time.time())
    sub = str(uuid.uuid4())
    values: dict[str, Any] = {
        "sub": sub,
        "email": f"{sub[:8]}@example.com",
        "phone": "",
        "aud": "authenticated",
        "role": "authenticated",
        "iss": f"{issuer_url}/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def es256(payload: dict[str, Any], key: Any = EC_KEY, kid: str = EC_KID) -> str:
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": kid})


def rs256(payload: dict[str, Any], key: Any = RSA_KEY, kid: str = RSA_KID) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def hs256(payload: dict[str, Any], secret: str = HS_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def has_account_route(client: TestClient) -> bool:
    return any(
        isinstance(route, APIRoute) and route.path == ACCOUNT and "GET" in (route.methods or ())
        for route in client.app.routes  # type: ignore[attr-defined]
    )


def call(client: TestClient, token: str) -> httpx2.Response:
    """A signed-in request with ``token`` as the bearer."""
    headers = {"Authorization": f"Bearer {token}"}
    if has_account_route(client):
        return client.get(ACCOUNT, headers=headers)
    return client.post(STAND_IN, headers=headers)


def sign_in(client: TestClient, token: str) -> str:
    """Call with ``token``, which must be accepted; the id of the local account it acts for."""
    response = call(client, token)
    assert response.status_code in (200, 204), response.text
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    user = services(client).accounts.users.by_supabase_sub(sub)
    assert user is not None
    if response.status_code == 200:
        body = response.json()
        shown = body.get("user", body)
        assert shown["id"] == user.id, body
        assert shown["email"] == user.email, body
    return user.id


def rejected(response: httpx2.Response, *words: str) -> dict[str, Any]:
    """A 401 in the one error shape with the Bearer challenge, its message saying ``words``."""
    error = assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    for word in words:
        assert word in str(error["message"]).lower(), error
    return error


def supabase_users(client: TestClient, sub: str) -> list[str]:
    return [u.id for u in services(client).accounts.users.list() if u.supabase_sub == sub]


# -- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", [es256, rs256], ids=["ES256", "RS256"])
def test_an_asymmetric_token_signs_in_and_creates_the_local_user_once(
    client: TestClient, jwks: JwksServer, sign: Callable[[dict[str, Any]], str]
) -> None:
    payload = claims(jwks.url)
    first = sign_in(client, sign(payload))
    again = sign_in(client, sign({**payload, "iat": payload["iat"] + 1}))
    assert first == again
    assert supabase_users(client, payload["sub"]) == [first]
    user = services(client).accounts.users.get(first)
    assert user.email == payload["email"]
    assert user.supabase_sub == payload["sub"]
    assert services(client).accounts.users.password_hash(first) is None


def test_concurrent_first_requests_create_one_user(client: TestClient, jwks: JwksServer) -> None:
    payload = claims(jwks.url)
    token = es256(payload)
    barrier = threading.Barrier(8)

    def first_request(_: int) -> int:
        barrier.wait(timeout=10)
        return call(client, token).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(first_request, range(8)))
    assert all(status in (200, 204) for status in statuses), statuses
    assert len(supabase_users(client, payload["sub"])) == 1
    assert jwks.hits == 1


def test_a_token_without_email_gets_a_placeholder_address(
    client: TestClient, jwks: JwksServer
) -> None:
    payload = claims(jwks.url, email="")
    user = services(client).accounts.users.get(sign_in(client, es256(payload)))
    assert user.email == f"{payload['sub']}@supabase.invalid"


def test_hs256_with_the_legacy_secret(start: Callable[..., TestClient]) -> None:
    client = start(supabase_jwt_secret=HS_SECRET)
    payload = claims("https://any.supabase.co")  # no URL configured: the issuer is not checked
    user_id = sign_in(client, hs256(payload))
    assert sign_in(client, hs256(payload)) == user_id
    rejected(call(client, hs256(claims("x"), secret=HS_SECRET[::-1])), "invalid")
    rejected(call(client, es256(claims("x"))), "es256", "not accepted")


def test_hs256_and_jwks_together(start: Callable[..., TestClient], jwks: JwksServer) -> None:
    client = start(supabase_url=jwks.url, supabase_jwt_secret=HS_SECRET)
    sign_in(client, hs256(claims(jwks.url)))
    sign_in(client, rs256(claims(jwks.url)))
    rejected(call(client, hs256(claims("https://other.supabase.co"))), "another project")


def test_the_jwks_is_fetched_once_and_cached(client: TestClient, jwks: JwksServer) -> None:
    for _ in range(10):
        sign_in(client, es256(claims(jwks.url)))
        sign_in(client, rs256(claims(jwks.url)))
    assert jwks.hits == 1
    for _ in range(5):  # unknown key ids do not refetch within the cooldown
        rejected(call(client, es256(claims(jwks.url), kid="nobody")))
    assert jwks.hits == 1


def test_a_key_added_later_is_fetched_for_its_first_token(
    start: Callable[..., TestClient], jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supabase_module, "JWKS_COOLDOWN_S", 0)
    client = start(supabase_url=jwks.url)
    sign_in(client, es256(claims(jwks.url)))
    jwks.keys.append(jwk(EC_OTHER, "rotated"))
    sign_in(client, es256(claims(jwks.url), key=EC_OTHER, kid="rotated"))
    assert jwks.hits == 2


def test_a_revoked_key_stops_working_when_the_cache_expires(
    start: Callable[..., TestClient], jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supabase_module, "JWKS_LIFESPAN_S", 0.2)
    client = start(supabase_url=jwks.url)
    sign_in(client, rs256(claims(jwks.url)))
    jwks.keys = [k for k in jwks.keys if k["kid"] != RSA_KID]
    time.sleep(0.3)
    rejected(call(client, rs256(claims(jwks.url))), "does not publish")
    sign_in(client, es256(claims(jwks.url)))


def test_keys_fetched_before_an_outage_keep_working(
    start: Callable[..., TestClient], jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supabase_module, "JWKS_LIFESPAN_S", 0.2)
    client = start(supabase_url=jwks.url)
    sign_in(client, es256(claims(jwks.url)))
    jwks.status = 503
    time.sleep(0.3)
    sign_in(client, es256(claims(jwks.url)))
    sign_in(client, es256(claims(jwks.url)))
    assert jwks.hits == 2  # one failed refetch, then the old keys for another lifespan


# -- rejected -------------------------------------------------------------------------------


def test_expired(client: TestClient, jwks: JwksServer) -> None:
    now = int(time.time())
    error = rejected(call(client, es256(claims(jwks.url, iat=now - 7200, exp=now - 120))))
    assert "expired" in str(error["message"])
    assert error["hint"]


def test_within_the_leeway_an_expired_token_still_passes(
    client: TestClient, jwks: JwksServer
) -> None:
    sign_in(client, es256(claims(jwks.url, exp=int(time.time()) - 5)))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"aud": "service"}, ("audience",)),
        ({"aud": None}, ("invalid",)),
        ({"iss": "https://other.supabase.co/auth/v1"}, ("another project",)),
        ({"iss": None}, ("invalid",)),
        ({"exp": None}, ("invalid",)),
        ({"sub": None}, ("invalid",)),
        ({"sub": ""}, ()),
        ({"iat": int(time.time()) + 3600}, ("invalid",)),
    ],
    ids=["wrong-aud", "no-aud", "wrong-iss", "no-iss", "no-exp", "no-sub", "empty-sub", "future"],
)
def test_bad_claims(
    client: TestClient, jwks: JwksServer, change: dict[str, Any], words: tuple[str, ...]
) -> None:
    rejected(call(client, es256(claims(jwks.url, **change))), *words)
    assert services(client).accounts.users.list() == []


def test_another_key_with_the_same_kid(client: TestClient, jwks: JwksServer) -> None:
    rejected(call(client, es256(claims(jwks.url), key=EC_OTHER)), "invalidsignature")


def test_unknown_kid_and_no_kid(client: TestClient, jwks: JwksServer) -> None:
    rejected(call(client, es256(claims(jwks.url), kid="unknown")), "does not publish")
    no_kid = jwt.encode(claims(jwks.url), EC_KEY, algorithm="ES256")
    rejected(call(client, no_kid), "does not publish")


def test_algorithm_must_match_the_key(client: TestClient, jwks: JwksServer) -> None:
    """An RS256 token naming the EC key's id is refused (the key fixes the algorithm)."""
    rejected(call(client, rs256(claims(jwks.url), kid=EC_KID)))


def test_alg_none(client: TestClient, jwks: JwksServer) -> None:
    token = jwt.encode(claims(jwks.url), "", algorithm="none", headers={"kid": EC_KID})
    rejected(call(client, token), "none", "not accepted")
    stripped = es256(claims(jwks.url)).rsplit(".", 1)[0] + "."
    rejected(call(client, stripped))


def test_hs256_when_only_a_jwks_is_configured(client: TestClient, jwks: JwksServer) -> None:
    rejected(call(client, hs256(claims(jwks.url))), "hs256", "not accepted")


def test_a_tampered_payload(client: TestClient, jwks: JwksServer) -> None:
    header, _, signature = es256(claims(jwks.url)).split(".")
    forged = claims(jwks.url, sub=str(uuid.uuid4()))
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    rejected(call(client, f"{header}.{body}.{signature}"), "invalid")
    assert services(client).accounts.users.list() == []


@pytest.mark.parametrize("token", ["a.b.c", "..", "eyJhbGciOiJFUzI1NiJ9.e30.!!!"])
def test_malformed(client: TestClient, token: str) -> None:
    rejected(call(client, token))


def test_not_configured(start: Callable[..., TestClient], jwks: JwksServer) -> None:
    client = start()
    rejected(call(client, es256(claims(jwks.url))), "not configured")
    assert jwks.hits == 0


def test_jwks_server_down(start: Callable[..., TestClient]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = start(supabase_url=url)
    error = rejected(call(client, es256(claims(url))), "signing keys are unavailable")
    assert error["hint"]


@pytest.mark.parametrize(
    ("status", "raw", "words"),
    [
        (404, None, ("unavailable",)),
        (200, b"<html>Bad gateway</html>", ("unavailable",)),
        (200, b"[1, 2]", ("unavailable",)),
        (200, b'{"keys": []}', ("no usable signing keys",)),
        (200, b'{"keys": [{"kty": "nope", "kid": "x"}]}', ("no usable signing keys",)),
    ],
    ids=["404", "html", "json-list", "no-keys", "unusable-key"],
)
def test_a_broken_jwks_is_a_401_not_a_500(
    client: TestClient, jwks: JwksServer, status: int, raw: bytes | None, words: tuple[str, ...]
) -> None:
    jwks.status, jwks.raw = status, raw
    rejected(call(client, es256(claims(jwks.url))), *words)


def test_a_disabled_user_is_forbidden(client: TestClient, jwks: JwksServer) -> None:
    payload = claims(jwks.url)
    user_id = sign_in(client, es256(payload))
    services(client).accounts.set_disabled(None, user_id, True)
    response = call(client, es256(payload))
    assert_error(response, 403, "forbidden")
    assert "disabled" in response.json()["error"]["message"]
    services(client).accounts.set_disabled(None, user_id, False)
    assert sign_in(client, es256(payload)) == user_id


def test_an_email_of_a_built_in_account_is_not_taken_over(
    client: TestClient, jwks: JwksServer
) -> None:
    """A Supabase token naming the email of a password account never acts for that account:
    its user gets an account of its own, under a placeholder address."""
    owner = services(client).accounts.register("owner@example.com", PASSWORD)
    payload = claims(jwks.url, email="OWNER@example.com")
    user_id = sign_in(client, es256(payload))
    assert user_id != owner.id
    assert services(client).accounts.users.get(owner.id).supabase_sub is None
    created = services(client).accounts.users.get(user_id)
    assert created.email == f"{payload['sub']}@supabase.invalid"


def test_a_url_that_is_not_http_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SUPABASE_URL"):
        SupabaseVerifier(make_settings(tmp_path, supabase_url="file:///etc"))
    assert not SupabaseVerifier(make_settings(tmp_path)).enabled
