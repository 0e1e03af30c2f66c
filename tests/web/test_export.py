"""The export page and its download route: the file arrives as a normal HTTP download (fetched
by the simulated browser with its own cookies), holds the rows the facade reads for the same
choice, is metered, audited and rate-limited like the API's export, and is refused to a
signed-out browser, for another user's dataset, and from another site."""

from __future__ import annotations

import asyncio
import gzip
import io
from datetime import UTC, datetime

import httpx
import polars as pl
import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import SAMPLE, _signed_in
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.catalog.ledger import EntryKind
from variosync.catalog.users import User as Account
from variosync.model import IngestOptions
from variosync.query import Query

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def as_a_browser(web: tuple[User, Services]) -> None:
    """The simulated browser's requests say where they come from, as a browser's do."""
    web[0].http_client.headers["Sec-Fetch-Site"] = "same-origin"


DOWNLOAD_S = 20.0


def _ada_with_sensors(shared: Services, grant: bool = True) -> Account:
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    if grant:
        shared.accounts.grant(None, ada.id, 3_600_000)
    shared.service.as_owner(ada.id).ingest([SAMPLE], "sensors", IngestOptions())
    return ada


def _choose(user: User, marker: str, value: object) -> None:
    """Set a select as the browser would: its value, with its change handlers."""
    (element,) = user.find(marker=marker).elements
    assert isinstance(element, ui.select)
    element.value = value


async def _open_export(user: User, dataset: str = "sensors") -> None:
    await user.open(f"/export?dataset={dataset}")
    await user.should_see(marker="download")
    await user.should_see("Data from", retries=SEEN)  # the dataset's range, once loaded


def _exported(user: User) -> list[httpx.Response]:
    return user.download.http_responses


async def test_export_as_csv_downloads_the_selected_rows_metered_and_audited(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    _choose(user, "series", ["greenhouse-1", "outdoor"])
    _choose(user, "fields", ["temperature"])
    await user.should_see("About 720 of 1,080 rows", retries=SEEN)
    user.find(marker="download").click()
    response = await user.download.next(timeout=DOWNLOAD_S)

    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="sensors.csv"'
    assert response.headers["content-type"].startswith("text/csv")
    assert "x-ratelimit-remaining" in response.headers
    got = pl.read_csv(io.BytesIO(response.content))
    expected = shared.service.as_owner(ada.id).query(
        "sensors", Query(series=("greenhouse-1", "outdoor"), fields=("temperature",))
    )
    assert got.columns == ["series_id", "ts", "temperature"]
    assert got.height == expected.height == 720
    assert got["series_id"].to_list() == expected["series_id"].to_list()
    assert got["temperature"].to_list() == expected["temperature"].to_list()
    stamps = got["ts"].str.to_datetime(time_zone="UTC")
    assert stamps.to_list() == expected["ts"].dt.convert_time_zone("UTC").to_list()

    kinds = [(e.kind, e.operation) for e in shared.accounts.ledger.entries(ada.id)]
    assert (EntryKind.DEBIT, "export") in kinds  # metered like the API's export
    (event,) = shared.accounts.audit.list(action="export")
    assert event.user_id == ada.id and event.target == "sensors"
    assert event.detail == {"format": "csv", "compression": None, "as_of": None}
    assert shared.accounts.audit.list(user_id=ada.id, action="debit")


async def test_a_range_in_my_zone_exports_as_parquet_compressed(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = _ada_with_sensors(shared)
    shared.accounts.preferences.update(ada.id, time_zone="Europe/Berlin")
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    await user.should_see("Data from 2024-01-15 07:00 to 2024-01-15 12:59 (Europe/Berlin)")
    _choose(user, "format", "parquet")
    # 08:00-09:00 in Berlin (UTC+1 in January) is 07:00-08:00 UTC
    user.find(marker="from").type("2024-01-15T08:00")
    user.find(marker="to").type("2024-01-15T09:00")
    await user.should_see("About ", retries=SEEN)
    user.find(marker="download").click()
    response = await user.download.next(timeout=DOWNLOAD_S)

    assert response.status_code == 200, response.text
    assert 'filename="sensors.parquet"' in response.headers["content-disposition"]
    got = pl.read_parquet(io.BytesIO(response.content))
    window = Query(
        start=datetime(2024, 1, 15, 7, tzinfo=UTC), end=datetime(2024, 1, 15, 8, tzinfo=UTC)
    )
    expected = shared.service.as_owner(ada.id).query("sensors", window)
    assert got.height == expected.height == 180  # three series, a point a minute
    assert got.equals(expected)
    first = got["ts"].min()
    assert isinstance(first, datetime)
    assert first.astimezone(UTC) == datetime(2024, 1, 15, 7, tzinfo=UTC)


async def test_a_compressed_export_is_named_and_typed_for_its_compression(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    _choose(user, "compression", "gz")
    await user.should_see("sensors.csv.gz", retries=SEEN)
    user.find(marker="download").click()
    response = await user.download.next(timeout=DOWNLOAD_S)
    assert response.status_code == 200, response.text
    assert 'filename="sensors.csv.gz"' in response.headers["content-disposition"]
    assert response.headers["content-type"] == "application/gzip"
    assert pl.read_csv(io.BytesIO(gzip.decompress(response.content))).height == 1080


async def test_a_bad_range_is_said_and_nothing_downloads(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    user.find(marker="from").type("2024-01-15T10:00")
    user.find(marker="to").type("2024-01-15T09:00")
    user.find(marker="download").click()
    await user.should_see("Cannot export: From must be before To", retries=SEEN)
    user.find(marker="from").clear().type("half past nine")
    user.find(marker="download").click()
    await user.should_see("Cannot export: From: 'half past nine' is not a time", retries=SEEN)
    assert not _exported(user)
    assert not shared.accounts.audit.list(action="export")


async def test_out_of_hours_is_said_before_any_download(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared, grant=False)
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    user.find(marker="download").click()
    await user.should_see("Cannot export: export needs about", retries=SEEN)
    assert not _exported(user)


async def test_a_signed_out_browser_gets_401(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    response = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthenticated" and error["message"] == "sign-in required"
    assert not shared.accounts.audit.list(action="export")

    await _signed_in(user, "ada@example.com")
    user.find("Sign out").click()
    await user.should_see("Welcome to VarioSync", retries=SEEN)
    response = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert response.status_code == 401  # the session ended, not just its page


async def test_another_users_dataset_is_not_found(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    bob = shared.accounts.register("bob@example.com", PASSWORD)
    shared.accounts.grant(None, bob.id, 3_600_000)
    await _signed_in(user, "bob@example.com")
    response = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "sensors" not in response.text.split("message")[0]  # no data, just the error
    assert not shared.accounts.audit.list(action="export")

    await user.open("/export?dataset=sensors")
    await user.should_see("No dataset 'sensors' among yours", retries=SEEN)


async def test_bad_parameters_are_refused_by_name(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    for query, field in (
        ("format=docx", "format"),
        ("compression=rar", "compression"),
        ("start=soon", "start"),
        ("fields=nope", "fields"),
    ):
        response = await user.http_client.get(f"/dashboard/export/sensors?{query}")
        assert response.status_code == 422, (query, response.text)
        assert response.json()["error"].get("field") == field, query
    response = await user.http_client.get("/dashboard/export/no%20such?format=csv")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "invalid dataset name 'no such'"
    assert not shared.accounts.audit.list(action="export")


async def test_downloads_spend_the_apis_export_budget(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    limit = shared.limiter.policy.items["user"]["export"].amount
    for _ in range(limit - 1):  # the account's export budget, as the API's exports spend it
        await shared.limiter.spend("user", ada.id, "export")
    first = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert first.status_code == 200
    assert first.headers["x-ratelimit-remaining"] == "0"
    refused = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "retry-after" in refused.headers
    assert len(shared.accounts.audit.list(action="export")) == 1


async def test_a_download_another_site_starts_is_refused(web: tuple[User, Services]) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    response = await user.http_client.get(
        "/dashboard/export/sensors?format=csv", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert not shared.accounts.audit.list(action="export")
    same = await user.http_client.get(
        "/dashboard/export/sensors?format=csv", headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same.status_code == 200


async def test_without_fetch_metadata_the_origin_or_referer_must_be_this_site(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    del user.http_client.headers["Sec-Fetch-Site"]  # an older browser
    url = "/dashboard/export/sensors?format=csv"
    assert (await user.http_client.get(url)).status_code == 403  # nothing says who started it
    evil = {"Referer": "https://evil.example/page"}
    assert (await user.http_client.get(url, headers=evil)).status_code == 403
    assert (await user.http_client.get(url, headers={"Origin": "null"})).status_code == 403
    assert not shared.accounts.audit.list(action="export")
    ours = {"Referer": "http://test/export?dataset=sensors"}
    assert (await user.http_client.get(url, headers=ours)).status_code == 200


async def test_downloads_spend_the_client_addresss_export_budget(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    limit = shared.limiter.policy.items["ip"]["export"].amount
    for _ in range(limit):  # what the API's middleware spends for exports from this address
        await shared.limiter.spend("ip", "127.0.0.1", "export")
    refused = await user.http_client.get("/dashboard/export/sensors?format=csv")
    assert refused.status_code == 429
    assert "this client address" in refused.json()["error"]["message"]
    assert not shared.accounts.audit.list(action="export")


async def test_a_dataset_made_elsewhere_can_be_chosen_without_a_reload(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = _ada_with_sensors(shared)
    await _signed_in(user, "ada@example.com")
    await _open_export(user)
    (picker,) = user.find(marker="dataset").elements
    assert isinstance(picker, ui.select)
    Actions(shared, ada, None).upload([SAMPLE], "fresh", IngestOptions(), "k1", 1)
    for _ in range(SEEN):
        if "fresh" in picker.options:
            break
        await asyncio.sleep(0.1)
    assert picker.options == ["fresh", "sensors"]
