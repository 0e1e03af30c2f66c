"""A second user cannot see or reach the first user's datasets from any page or URL: no page
lists it, and every page opened with its name in the address says no more than for a name
nobody has — nothing of its data in text, tables, selects, charts or notifications."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import SAMPLE, _signed_in
from variosync.api.deps import Services
from variosync.model import IngestOptions

pytestmark = pytest.mark.asyncio
SECRET = "ada-private-prices"
NOBODYS = "nobodys-dataset-xy"  # as long as SECRET
PAGES = ["/", "/upload", "/explore", "/clean", "/history", "/export", "/account", "/admin"]


def _everything(user: User) -> str:
    """All the page holds for the browser: every element's text and properties (table rows,
    select options, figures, links), and the notifications shown."""
    found: list[Any] = [user.notify.messages]
    for element in user.client.elements.values():
        found.append(element.props)
        found.append(getattr(element, "text", None))
        found.append(getattr(element, "figure", None))
    return json.dumps(found, default=str)


async def _settled(user: User, path: str) -> str:
    """Open ``path`` and give its background work time to draw (notifications from here on)."""
    user.notify.messages.clear()
    await user.open(path)
    await asyncio.sleep(1.0)
    return _everything(user)


async def test_no_page_or_url_shows_another_users_dataset(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.register("bob@example.com", PASSWORD)
    shared.service.as_owner(ada.id).ingest([SAMPLE], SECRET, IngestOptions())

    await _signed_in(user, "ada@example.com")
    for _ in range(SEEN):  # the check itself can see a dataset where there is one
        if SECRET in _everything(user):
            break
        await asyncio.sleep(0.1)
    assert SECRET in _everything(user)
    user.find("Sign out").click()
    await user.should_see("Welcome to VarioSync", retries=SEEN)

    await _signed_in(user, "bob@example.com")
    for path in PAGES:
        plain = await _settled(user, path)
        assert SECRET not in plain and "greenhouse-1" not in plain, path
        # named in the address: the page says no more than for a name nobody has
        shown = await _settled(user, f"{path}?dataset={SECRET}")
        unknown = await _settled(user, f"{path}?dataset={NOBODYS}")
        assert shown.count(SECRET) == unknown.count(NOBODYS), path
        assert "greenhouse-1" not in shown and "1080" not in shown, path
        assert "Traceback" not in shown, path
    assert shared.service.as_owner(ada.id).info(SECRET).dataset.row_count == 1080
