"""The dashboard's upload route refuses a body over the limit while it streams in — declared
or not — before NiceGUI stores any of it; a body within the limit arrives as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import _signed_in
from variosync.api.deps import Services

pytestmark = pytest.mark.asyncio
LIMIT = 100_000
BOUNDARY = "variosync-test-boundary"


@pytest.fixture
def web_settings() -> dict[str, Any]:
    return {"upload_max_bytes": LIMIT}


def _form(size: int) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    line = b"2024-01-01T00:00:00Z,1.0\n"
    body = b"ts,value\n" + line * (size // len(line))
    return head + body + f"\r\n--{BOUNDARY}--\r\n".encode()


async def _upload_url(user: User, shared: Services) -> str:
    shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    await user.open("/upload")
    await user.should_see(kind=ui.upload, retries=SEEN)
    (upload,) = user.find(ui.upload).elements
    return str(upload._registered_url)


async def _received(user: User) -> bool:
    """Whether the page lists a received file."""
    await asyncio.sleep(0.5)
    return "big" in str([e.props for e in user.client.elements.values()])


async def test_a_declared_oversized_body_is_refused_at_once(web: tuple[User, Services]) -> None:
    user, shared = web
    url = await _upload_url(user, shared)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    answer = await user.http_client.post(url, content=_form(4 * LIMIT), headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert not await _received(user)


async def test_an_undeclared_oversized_body_is_cut_off(web: tuple[User, Services]) -> None:
    user, shared = web
    url = await _upload_url(user, shared)
    data = _form(4 * LIMIT)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 16_384):
            yield data[start : start + 16_384]

    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    answer = await user.http_client.post(url, content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert not await _received(user)


async def test_a_body_within_the_limit_arrives(web: tuple[User, Services]) -> None:
    user, shared = web
    url = await _upload_url(user, shared)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    answer = await user.http_client.post(url, content=_form(LIMIT // 2), headers=headers)
    assert answer.status_code == 200, answer.text
    assert await _received(user)
