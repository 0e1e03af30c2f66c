"""The dashboard in a real browser (headless Debian Chromium through Playwright, against a
real ``variosync serve``): sign in, upload a sample file, see its chart, zoom and get refined
data from the server, export and check the downloaded file, sign out — with a screenshot of
every page kept as a test artifact."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, make_admin, register, screenshot

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
POINTS = 86_400
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}  # what the browser sends from the dashboard


def sign_in(page: Page, server: str, email: str) -> None:
    page.goto(server + "/")
    expect(page.get_by_text("Welcome to VarioSync")).to_be_visible()
    screenshot(page, "signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def upload(page: Page, server: str, path: Path, dataset: str, rows: int) -> None:
    page.goto(server + "/upload")
    page.locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("Ready to ingest:")).to_be_visible()
    page.get_by_label("Dataset (new or existing)").fill(dataset)
    page.get_by_role("button", name="Ingest").click()
    expect(page.get_by_text(f"{rows:,} rows written into {dataset}")).to_be_visible()
    screenshot(page, "upload")


def meter_file(folder: Path) -> Path:
    """A day of one reading a second (86,400 points): far more than a chart's pixels."""
    path = folder / "meter.csv"
    start = datetime(2024, 1, 15, tzinfo=UTC)
    with path.open("w") as out:
        out.write("timestamp,power\n")
        for second in range(POINTS):
            moment = start + timedelta(seconds=second)
            out.write(f"{moment:%Y-%m-%dT%H:%M:%SZ},{math.sin(second / 900) * 50 + 100:.3f}\n")
    return path


def plotted_points(page: Page) -> list[list[float]]:
    """The x values (epoch ms) of each trace the chart draws, read from Plotly in the page."""
    found: list[list[float]] = page.evaluate(
        """() => {
            const plot = document.querySelector('.js-plotly-plot');
            return plot._fullData.map(trace => Array.from(trace.x, x => +new Date(x)));
        }"""
    )
    return found


def test_sign_in_upload_chart_zoom_export_sign_out(server: str, page: Page, tmp_path: Path) -> None:
    register(server, "ada@example.com")
    sign_in(page, server, "ada@example.com")
    upload(page, server, meter_file(tmp_path), "meter", POINTS)
    upload(page, server, SAMPLE, "sensors", 1080)

    page.goto(server + "/")
    expect(page.get_by_role("cell", name="sensors", exact=True)).to_be_visible()
    screenshot(page, "datasets")

    # the chart: a card on the explore board, its data downsampled on the server
    page.goto(server + "/explore?dataset=meter")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    page.wait_for_function("document.querySelector('.js-plotly-plot').data?.length > 0")
    first = plotted_points(page)
    assert 0 < sum(len(trace) for trace in first) < POINTS / 10  # downsampled on the server
    screenshot(page, "explore")
    # zoom into 15 minutes: the server answers with that window at full resolution
    start, end = 1705306800000, 1705307700000  # 2024-01-15 08:20 → 08:35 UTC
    page.evaluate(
        """([start, end]) => Plotly.relayout(document.querySelector('.js-plotly-plot'),
            {'xaxis.range[0]': new Date(start).toISOString().slice(0, 19).replace('T', ' '),
             'xaxis.range[1]': new Date(end).toISOString().slice(0, 19).replace('T', ' ')})""",
        [start, end],
    )
    inside_before = sum(start <= x <= end for trace in first for x in trace)
    page.wait_for_function(
        """([start, end, before]) => {
            const plot = document.querySelector('.js-plotly-plot');
            const xs = plot._fullData.flatMap(t => Array.from(t.x, x => +new Date(x)));
            return xs.filter(x => x >= start && x <= end).length > 10 * before;
        }""",
        arg=[start, end, max(inside_before, 1)],
    )
    screenshot(page, "explore-zoomed")

    # export: a normal streamed HTTP download
    page.goto(server + "/export?dataset=sensors")
    screenshot(page, "export")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download").click()
    download = waiting.value
    saved = download.path()
    assert download.suggested_filename == "sensors.csv"
    rows = list(csv.DictReader(io.StringIO(Path(saved).read_text())))
    assert len(rows) == 1080 and {r["series_id"] for r in rows} == {
        "greenhouse-1",
        "greenhouse-2",
        "outdoor",
    }

    for path, name in (
        ("/clean?dataset=sensors", "clean"),
        ("/history?dataset=sensors", "history"),
        ("/account", "account"),
    ):
        page.goto(server + path)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, name)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Welcome to VarioSync")).to_be_visible()
    page.goto(server + "/account")
    expect(page.get_by_text("Welcome to VarioSync")).to_be_visible()  # the session is over


def test_admin_dark_theme_and_another_users_download(
    server: str, home: Path, page: Page, browser: Browser
) -> None:
    make_admin(home, "root@example.com")
    register(server, "cy@example.com")
    sign_in(page, server, "cy@example.com")
    upload(page, server, SAMPLE, "cys-sensors", 1080)
    mine = server + "/dashboard/export/cys-sensors?format=csv"

    # another browser, another user: the download URL of Cy's dataset is not found
    other = browser.new_context(accept_downloads=True)
    try:
        stranger = other.new_page()
        sign_in(stranger, server, "root@example.com")
        answer = stranger.request.get(mine, headers=SAME_ORIGIN)
        assert answer.status == 404, answer.text()
        stranger.goto(server + "/admin")
        expect(stranger.get_by_text("cy@example.com").first).to_be_visible()
        stranger.wait_for_load_state("networkidle")
        screenshot(stranger, "admin")
    finally:
        other.close()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(cookies=cookies, headers={"Accept-Encoding": "gzip"}) as raw:
        got = raw.get(mine, headers=SAME_ORIGIN)
        assert got.status_code == 200  # its owner gets it, as written: not compressed again
        assert "content-encoding" not in got.headers and got.text.startswith("series_id,")
        signin = raw.get(server + "/signin")
        assert signin.headers.get("content-encoding") == "gzip"  # while pages are

    page.goto(server + "/account")
    page.get_by_label("Theme").click()
    page.get_by_role("option", name="Dark").click()
    expect(page.get_by_text("Saved — pages show it from now on")).to_be_visible()
    page.goto(server + "/")
    expect(page.locator("body.body--dark")).to_be_visible()
    screenshot(page, "datasets-dark")
    # the charts follow the dark theme too (Plotly does not read the page's colours)
    page.goto(server + "/explore?dataset=cys-sensors")
    page.wait_for_function("document.querySelector('.js-plotly-plot')?._fullData?.length > 0")
    background = page.evaluate(
        "document.querySelector('.js-plotly-plot')._fullLayout.paper_bgcolor"
    )
    assert background == "#1d1d1d"
    screenshot(page, "explore-dark")
