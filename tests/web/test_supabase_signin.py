"""The dashboard's "Supabase account" sign-in: email and password checked by the project's
Supabase Auth — here a real HTTP server on loopback answering like Supabase's
``POST /auth/v1/token?grant_type=password`` (responses shaped as recorded from GoTrue) and
serving the project's JWKS — then the access token verified like any Supabase bearer token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from nicegui.testing import User

from tests.web.conftest import SEEN
from variosync.accounts.supabase import JWKS_PATH
from variosync.api.deps import Services

pytestmark = pytest.mark.asyncio
ANON_KEY = "anon-key-for-tests"
KEY = ec.generate_private_key(ec.SECP256R1())
FORGED = ec.generate_private_key(ec.SECP256R1())
KID = "test-key"
INVALID = {"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}
UNCONFIRMED = {"code": 400, "error_code": "email_not_confirmed", "msg": "Email not confirmed"}


class SupabaseAuth:
    """Supabase Auth's password grant and JWKS, over real HTTP; counts the grants asked."""

    def __init__(self) -> None:
        self.users = {"ada@example.com": ("s3cret-pass", "sub-ada", True)}
        self.forge = False
        self.grants = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != JWKS_PATH:
                    return self._send(404, {"message": "no route"})
                public = ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
                self._send(200, {"keys": [{**public, "kid": KID, "alg": "ES256", "use": "sig"}]})

            def do_POST(self) -> None:
                if self.path != "/auth/v1/token?grant_type=password":
                    return self._send(404, {"message": "no route"})
                if self.headers.get("apikey") != ANON_KEY:
                    return self._send(401, {"message": "Invalid API key"})
                outer.grants += 1
                size = int(self.headers.get("Content-Length", "0"))
                asked = json.loads(self.rfile.read(size))
                known = outer.users.get(asked.get("email", ""))
                if known is None or known[0] != asked.get("password"):
                    return self._send(400, INVALID)
                if not known[2]:
                    return self._send(400, UNCONFIRMED)
                self._send(200, outer.token(asked["email"], known[1]))

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def token(self, email: str, sub: str) -> dict[str, Any]:
        """A password grant's answer: a GoTrue session object."""
        now = int(time.time())
        claims = {
            "sub": sub,
            "email": email,
            "aud": "authenticated",
            "role": "authenticated",
            "iss": self.url + "/auth/v1",
            "iat": now,
            "exp": now + 3600,
        }
        signer = FORGED if self.forge else KEY
        access = jwt.encode(claims, signer, algorithm="ES256", headers={"kid": KID})
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": now + 3600,
            "refresh_token": "refresh-token",
            "user": {"id": sub, "aud": "authenticated", "email": email},
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def auth() -> Iterator[SupabaseAuth]:
    server = SupabaseAuth()
    yield server
    server.close()


@pytest.fixture
def web_settings(auth: SupabaseAuth) -> dict[str, Any]:
    return {"supabase_url": auth.url, "supabase_anon_key": ANON_KEY}


async def test_a_supabase_user_signs_in_and_gets_a_local_account(
    web: tuple[User, Services], auth: SupabaseAuth
) -> None:
    user, shared = web
    await user.open("/signin")
    await user.should_see("Supabase account")
    user.find(marker="account-kind").elements.pop().value = "supabase"
    user.find("Email").type("ada@example.com")
    user.find("Password").type("s3cret-pass")
    user.find(marker="sign-in").click()
    await user.should_see("Sign out", retries=SEEN)
    await user.should_see("ada@example.com")
    local = shared.accounts.users.by_supabase_sub("sub-ada")
    assert local is not None and local.email == "ada@example.com"
    (login,) = shared.accounts.audit.list(action="login")
    assert login.user_id == local.id and login.detail == {"method": "supabase"}
    user.find("Sign out").click()
    await user.should_see("Welcome to VarioSync", retries=SEEN)


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("ada@example.com", "wrong", "Sign-in failed: wrong email or password"),
        ("nobody@example.com", "s3cret-pass", "Sign-in failed: wrong email or password"),
    ],
)
async def test_supabase_refusing_the_password_says_so(
    web: tuple[User, Services], auth: SupabaseAuth, email: str, password: str, says: str
) -> None:
    user, shared = web
    await user.open("/signin")
    user.find(marker="account-kind").elements.pop().value = "supabase"
    user.find("Email").type(email)
    user.find("Password").type(password)
    user.find(marker="sign-in").click()
    await user.should_see(says, retries=SEEN)
    assert auth.grants == 1 and shared.accounts.users.by_supabase_sub("sub-ada") is None
    # audited like a refused local sign-in: the email tried and the address, no secret
    (failed,) = shared.accounts.audit.list(action="login_failed")
    assert (failed.user_id, failed.target, failed.client_ip) == (None, email, "127.0.0.1")
    assert failed.detail == {"method": "supabase"}
    assert password not in repr(failed) and "token" not in repr(failed.detail)


async def test_an_unconfirmed_email_a_forged_token_and_a_dead_server_are_refused(
    web: tuple[User, Services], auth: SupabaseAuth
) -> None:
    user, shared = web
    cases = [
        ("unconfirmed", "Sign-in failed: this Supabase account's email is not confirmed yet"),
        ("forged", "Sign-in failed: invalid token"),  # signed by a key not published
        ("down", "Sign-in failed: Supabase Auth did not answer"),
    ]
    for case, says in cases:
        if case == "unconfirmed":
            auth.users["ada@example.com"] = ("s3cret-pass", "sub-ada", False)
        if case == "forged":
            auth.users["ada@example.com"] = ("s3cret-pass", "sub-ada", True)
            auth.forge = True
        if case == "down":
            auth.close()
        await user.open("/signin")
        user.find(marker="account-kind").elements.pop().value = "supabase"
        user.find("Email").type("ada@example.com")
        user.find("Password").type("s3cret-pass")
        user.find(marker="sign-in").click()
        await user.should_see(says, retries=SEEN)
        user.notify.messages.clear()
        await user.should_not_see("Sign out")
    assert shared.accounts.users.by_supabase_sub("sub-ada") is None
    # refused: audited; Supabase not answering is no refusal of the user's password
    refused = shared.accounts.audit.list(action="login_failed")
    assert [(e.target, e.detail) for e in refused] == [
        ("ada@example.com", {"method": "supabase"}),
        ("ada@example.com", {"method": "supabase"}),
    ]


async def test_a_disabled_accounts_supabase_sign_in_is_refused_and_audited(
    web: tuple[User, Services], auth: SupabaseAuth
) -> None:
    user, shared = web
    identity = shared.supabase.verify(auth.token("ada@example.com", "sub-ada")["access_token"])
    local = shared.accounts.supabase_user(identity).user
    shared.accounts.set_disabled(None, local.id, True)
    await user.open("/signin")
    user.find(marker="account-kind").elements.pop().value = "supabase"
    user.find("Email").type("ada@example.com")
    user.find("Password").type("s3cret-pass")
    user.find(marker="sign-in").click()
    await user.should_see("Sign-in failed: this account is disabled", retries=SEEN)
    (failed,) = shared.accounts.audit.list(action="login_failed")
    assert (failed.target, failed.client_ip) == ("ada@example.com", "127.0.0.1")
    assert not shared.accounts.audit.list(action="login")


@pytest.mark.parametrize("web_settings", [{"supabase_url": "http://127.0.0.1:9"}])
async def test_without_an_anon_key_only_built_in_accounts_are_offered(
    web: tuple[User, Services],
) -> None:
    user, _ = web
    await user.open("/signin")
    await user.should_see("Welcome to VarioSync")
    await user.should_not_see(marker="account-kind")
