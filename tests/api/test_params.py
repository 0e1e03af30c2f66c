"""Query parameters at their extremes: no value answers 500 or pins a worker, every refused one
names its parameter in ``field``, and a resample with fill is charged for — and bounded by —
the rows it makes rather than the rows it reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Account, assert_error, make_settings, signup
from tests.api.test_upload import ledger, upload, upload_sensors
from variosync.api import create_app
from variosync.catalog.ledger import EntryKind

API = "/api/v1/datasets/sensors"
BIG = "1" + "0" * 30

EXTREME_SELECTIONS = [
    f"limit={BIG}",
    "limit=4294967296",
    "limit=" + "9" * 5000,
    "limit=-1",
    "limit=x",
    "as_of=-1",
    "as_of=2147483648",
    "as_of=9223372036854775808",
    f"as_of={BIG}",
    "start=0001-01-01T00:00:00%2B01:00",
    "end=9999-12-31T23:59:59-01:00",
    "start=0001-01-01&tz=Pacific/Kiritimati",
    "end=9999-12-31T23:59:59.999999&tz=Etc/GMT%2B12",
    "start=2025-01-01&end=2024-01-01",
    "start=",
    "start=%00",
    "start=2024-01-15T06:00:00%2B25:00",
    "every=0s",
    "every=1000000000000d",
    f"every={BIG}mo&fill=null",
    "every=9223372036854775807ns&fill=null",
    "every=1ns",
    "every=1000000000ns&fill=null",
    "every=1000y&fill=previous",
    "every=1ms&fill=linear",
    "every=bogus",
    "every=",
    "every=1w&fill=previous&tz=Pacific/Chatham",
    "tz=Not/AZone",
    "tz=",
    "tz=localtime",
    "tz=..%2F..%2Fetc%2Fpasswd",
    "fields=",
    "fields=,",
    "fields=ts",
    "series=",
    "series=,",
    "series=%00",
    "agg=",
    "agg=avg&every=1h",
    "fill=bogus",
    "latest=maybe",
    "latest=true&limit=0",
]
EXTREMES = [
    *(f"/query?{params}" for params in EXTREME_SELECTIONS),
    *(f"/export?{params}" for params in EXTREME_SELECTIONS),
    *(
        f"/aggregates?{params}"
        for params in ("every=0s", "every=1000000000000d", "every=bogus", "every=", "every=1ns")
    ),
    *(f"/aggregates?as_of={n}" for n in ("-1", "2147483647", "2147483648", BIG)),
    "/profile?series=",
    "/profile?series=,",
    "/profile?series=nope",
    "/profile?refresh=maybe",
    "/history",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Account]]:
    """One app and user, owning 'sensors', for the tests that only read (or are refused)."""
    settings = make_settings(tmp_path_factory.mktemp("params") / "home")
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=10)
        upload_sensors(client, user)
        yield client, user


def _answered(response: Any) -> None:
    """Not a 500, and a refusal has the one error shape."""
    status = response.status_code
    assert status < 500, response.text
    if status >= 400:
        error = assert_error(response, status, response.json()["error"]["code"])
        assert error.get("field") != "", error  # absent, null or a name


@pytest.mark.parametrize("route", EXTREMES)
def test_no_parameter_value_answers_500(server: tuple[TestClient, Account], route: str) -> None:
    client, user = server
    _answered(client.get(API + route, headers=user.headers))


@pytest.mark.parametrize(
    "body",
    [
        f'{{"version": {BIG}}}',
        '{"version": 9223372036854775808}',
        '{"version": 2147483648}',
        '{"version": -1}',
        '{"version": 1.5}',
        '{"version": 1e308}',
        '{"version": "x"}',
        '{"version": 0}',
        "{}",
    ],
)
def test_no_restore_version_answers_500(server: tuple[TestClient, Account], body: str) -> None:
    client, user = server
    headers = user.headers | {"Content-Type": "application/json"}
    _answered(client.post(f"{API}/restore", content=body, headers=headers))


FIELDS = [
    ("query", "fields=nope", "fields"),
    ("query", "every=1h&agg=mean&fields=nope", "fields"),
    ("query", "tz=Mars/Base", "tz"),
    ("query", "agg=avg&every=1h", "agg"),
    ("query", "agg=mean", "agg"),
    ("query", "fill=previous", "fill"),
    ("query", "fill=bogus", "fill"),
    ("query", "start=yesterday", "start"),
    ("query", "start=0001-01-01T00:00:00%2B01:00", "start"),
    ("query", "end=2024-13-01", "end"),
    ("query", "every=bogus", "every"),
    ("query", "every=0s", "every"),
    ("query", "every=1000000000000d", "every"),
    ("query", "every=1ns", "every"),
    ("query", f"limit={BIG}", "limit"),
    ("query", "as_of=1099511627776", "as_of"),
    ("export", "every=bogus", "every"),
    ("export", "tz=Not/AZone", "tz"),
    ("export", "fields=nope", "fields"),
    ("export", "end=9999-12-31T23:59:59-01:00", "end"),
    ("export", f"limit={BIG}", "limit"),
    ("aggregates", "every=bogus", "every"),
    ("aggregates", "every=0s", "every"),
    ("aggregates", "as_of=1099511627776", "as_of"),
]


@pytest.mark.parametrize(("route", "params", "field"), FIELDS)
def test_a_refused_parameter_is_named(
    server: tuple[TestClient, Account], route: str, params: str, field: str
) -> None:
    client, user = server
    response = client.get(f"{API}/{route}?{params}", headers=user.headers)
    assert assert_error(response, 422, "invalid_parameter").get("field") == field


@pytest.mark.parametrize("route", ["query", "aggregates", "export"])
def test_a_version_past_the_latest_is_refused_without_searching_for_it(
    server: tuple[TestClient, Account], route: str
) -> None:
    client, user = server
    started = time.perf_counter()
    response = client.get(f"{API}/{route}?as_of=100000000", headers=user.headers)
    error = assert_error(response, 404, "not_found")
    assert error["message"] == "version 100000000 does not exist (latest is 0)"
    assert time.perf_counter() - started < 2  # deltalake's search took over 8 s


TWO_MONTHS = b"time,v\n2024-01-01T00:00:00Z,1\n2024-03-01T00:00:00Z,2\n"
"""Two points 60 days apart: a fill makes a row per bucket between them."""


def test_a_filled_resample_is_metered_by_the_rows_it_makes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", metered_query_rows=1000)
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=1)
        assert upload(client, user, "two", [("two.csv", TWO_MONTHS)]).status_code == 200
        url = "/api/v1/datasets/two/query?fill=previous&every="
        start = len(ledger(client, user))
        daily = client.get(url + "1d", headers=user.headers)
        assert len(daily.json()) == 61
        assert len(ledger(client, user)) == start  # 61 rows: under the threshold, free
        hourly = client.get(url + "1h", headers=user.headers)
        assert len(hourly.json()) == 1441  # from 2 rows stored
        assert (EntryKind.DEBIT, "query") in ledger(client, user)[start:]


def test_a_filled_resample_too_large_is_refused(
    client: TestClient, user: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("variosync.selection.MAX_FILLED_ROWS", 1000)
    assert upload(client, user, "two", [("two.csv", TWO_MONTHS)]).status_code == 200
    before = ledger(client, user)
    url = "/api/v1/datasets/two/{}?fill=previous&every="
    for route in ("query", "export"):
        refused = client.get(url.format(route) + "1h", headers=user.headers)
        error = assert_error(refused, 422, "invalid_parameter")
        assert (error["field"], "1,441 rows" in str(error["message"])) == ("every", True)
        ok = client.get(url.format(route) + "1d", headers=user.headers)
        assert ok.status_code == 200, ok.text
    one_day = client.get(url.format("query") + "1h&start=2024-02-29", headers=user.headers)
    assert one_day.status_code == 200, one_day.text  # the window bounds the grid: 25 rows
    assert (EntryKind.DEBIT, "query") not in ledger(client, user)[len(before) :]
