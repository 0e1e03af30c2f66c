"""How the CLI's client turns a server's error answer into the error class (and exit code)
the same failure has locally."""

from __future__ import annotations

import httpx
import pytest

from variosync.cli.remote import raise_for_error
from variosync.errors import AuthError, PaymentRequiredError, RateLimitedError

URL = "http://server.example"


def _answer(status: int, body: dict[str, object], **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_a_rate_limited_answer_says_when_to_retry() -> None:
    body = {"error": {"code": "rate_limited", "message": "too many query requests", "hint": None}}
    with pytest.raises(RateLimitedError) as caught:
        raise_for_error(_answer(429, body, **{"Retry-After": "17"}), URL)
    assert caught.value.retry_after_s == 17
    assert caught.value.exit_code == 9
    assert caught.value.hint == "retry in 17 s"


def test_an_unshaped_429_is_still_rate_limited() -> None:
    with pytest.raises(RateLimitedError) as caught:
        raise_for_error(httpx.Response(429, text="slow down"), URL)
    assert caught.value.retry_after_s == 1


def test_other_answers_keep_their_classes() -> None:
    body = {"error": {"code": "unauthenticated", "message": "sign-in required", "hint": None}}
    with pytest.raises(AuthError):
        raise_for_error(_answer(401, body), URL)
    paid = {"error": {"code": "insufficient_hours", "message": "no", "balance_hours": 0.5}}
    with pytest.raises(PaymentRequiredError) as caught:
        raise_for_error(_answer(402, paid), URL)
    assert caught.value.balance_hours == 0.5
