"""The upload page: files dropped on the uploader are ingested into a dataset with the chosen
options, metered, audited and reported (rejected rows with their reasons, files by the names
they were sent as); what goes wrong is said, writes nothing and leaves no file behind."""

from __future__ import annotations

import asyncio
import gzip
import json
import tempfile
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import _signed_in
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.catalog.ledger import MS_PER_HOUR, EntryKind
from variosync.catalog.users import User as Account
from variosync.errors import NotFoundError
from variosync.model import IngestOptions

pytestmark = pytest.mark.asyncio
SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
PREFIX = "variosync-web-upload-"
BAD_ROWS = (
    b"timestamp,sensor,temperature\n"
    b"2024-01-15T06:00:00Z,a,1.5\n"
    b"not a time,a,2.5\n"
    b"2024-01-15T06:02:00Z,a,3.5\n"
    b",a,4.5\n"
)


@pytest.fixture(autouse=True)
def own_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test in a folder of its own, to see that none is left."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left_behind(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(PREFIX)]


async def _open(user: User, shared: Services, email: str = "ada@example.com") -> Account:
    """Register ``email``, sign in and open the upload page."""
    account = shared.accounts.register(email, PASSWORD)
    await _signed_in(user, email)
    await user.open("/upload")
    await user.should_see(marker="ingest", retries=SEEN)
    return account


async def _send(user: User, name: str, data: bytes) -> None:
    """Drop a file on the uploader, as the browser's upload request hands it to NiceGUI."""
    (uploader,) = user.find(ui.upload).elements
    assert isinstance(uploader, ui.upload)
    with user:
        await uploader.handle_uploads([ui.upload.SmallFileUpload(name, "", data)])


async def _received(user: User, name: str) -> None:
    await user.should_see(content=f"{name} ·", retries=SEEN)


def _table(user: User, marker: str) -> ui.table:
    (table,) = user.find(marker=marker).elements
    assert isinstance(table, ui.table)
    return table


def _set(user: User, marker: str, value: object) -> None:
    with user:
        for element in user.find(marker=marker).elements:
            element.value = value  # type: ignore[attr-defined]


async def _ingest_and_wait(user: User) -> None:
    """Click Ingest and wait until the button is back (the ingest is over)."""
    user.find(marker="ingest").click()
    await asyncio.sleep(0.05)
    (button,) = user.find(marker="ingest").elements
    assert isinstance(button, ui.button)
    for _ in range(SEEN * 5):
        if button.enabled:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the ingest did not finish")


def _gzipped_json() -> bytes:
    records = [
        {"timestamp": f"2024-02-01T00:0{i}:00Z", "sensor": "pump", "temperature": 10.0 + i}
        for i in range(5)
    ]
    return gzip.compress(json.dumps(records).encode())


async def test_files_of_two_formats_become_one_version_reported_in_my_zone(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    shared.accounts.preferences.update(ada.id, time_zone="Europe/Berlin")
    await _signed_in(user, "ada@example.com")
    await user.open("/upload")
    await user.should_see(marker="ingest", retries=SEEN)

    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _send(user, "pump readings.json.gz", _gzipped_json())
    await _received(user, "pump readings.json.gz")
    (name,) = user.find(marker="dataset").elements
    assert (
        isinstance(name, ui.input) and name.value == "sensors"
    )  # named after the first file, unless the user names it
    user.find(marker="ingest").click()

    await user.should_see("1,085 rows written into sensors (version 0, kind generic)", retries=SEEN)
    await user.should_see("Series: 4")
    await user.should_see("New rows: 1,085")
    # 06:00 UTC shown in Berlin (UTC+1), the last pump reading 00:04 UTC as 01:04
    await user.should_see("Time range: 2024-01-15 07:00:00 → 2024-02-01 01:04:00")
    files = _table(user, "report-files")
    assert [(r["file"], r["format"], r["rows"]) for r in files.rows] == [
        ("sensors.csv", "csv", 1080),
        ("pump readings.json.gz", "json", 5),
    ]
    link = user.find("Explore sensors").elements.pop()
    assert link.props["href"] == "/explore?dataset=sensors"
    assert user.find("All datasets").elements.pop().props["href"] == "/"

    mine = shared.service.as_owner(ada.id)
    assert mine.query("sensors").height == 1085
    assert mine.series("sensors") == ["greenhouse-1", "greenhouse-2", "outdoor", "pump"]
    (event,) = shared.accounts.audit.list(action="upload")
    assert event.user_id == ada.id and event.target == "sensors"
    assert event.detail is not None and event.detail["files"] == 2
    kinds = [(e.kind, e.operation) for e in shared.accounts.ledger.entries(ada.id)]
    assert (EntryKind.DEBIT, "ingest") in kinds
    assert shared.accounts.ledger.balance_ms(ada.id) < MS_PER_HOUR
    assert _left_behind(own_temp) == []
    await user.should_not_see(content="sensors.csv ·")  # the received files are gone


async def test_rejected_rows_are_listed_with_their_reasons(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = await _open(user, shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _send(user, "bad rows.csv", BAD_ROWS)
    await _received(user, "bad rows.csv")
    user.find(marker="dataset").clear().type("mixed")
    user.find(marker="ingest").click()

    await user.should_see("2 rows written into mixed", retries=SEEN)
    await user.should_see("2 rows were rejected and left out:")
    rejects = _table(user, "rejects")
    assert [(r["file"], r["row"], r["column"]) for r in rejects.rows] == [
        ("bad rows.csv", 2, "timestamp"),  # as sent, not as we keep it (bad_rows.csv)
        ("bad rows.csv", 4, "timestamp"),
    ]
    assert all(r["reason"] for r in rejects.rows)
    assert "not a time" in rejects.rows[0]["reason"]
    assert shared.service.as_owner(ada.id).query("mixed").height == 2
    assert _left_behind(own_temp) == []


async def test_strict_with_rejected_rows_writes_nothing(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = await _open(user, shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _send(user, "bad rows.csv", BAD_ROWS)
    await _received(user, "bad rows.csv")
    _set(user, "strict", True)
    await _ingest_and_wait(user)

    await user.should_see(
        "Upload failed: 2 row(s) rejected; 'Strict' wrote nothing. First: bad rows.csv row 2"
    )
    await user.should_see("drop 'Strict' to keep the valid ones")
    await user.should_not_see(marker="report-summary")
    with pytest.raises(NotFoundError):
        shared.service.as_owner(ada.id).catalog.get("bad-rows")
    assert shared.accounts.audit.list(action="upload") == []
    assert shared.accounts.ledger.balance_ms(ada.id) == MS_PER_HOUR  # refunded in full
    assert _left_behind(own_temp) == []
    await user.should_not_see(content="bad rows.csv ·")


async def test_out_of_hours_is_refused_and_writes_nothing(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = await _open(user, shared)  # signed up with no hours
    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _received(user, "sensors.csv")
    await _ingest_and_wait(user)

    await user.should_see("Upload failed: ingest needs about", retries=SEEN)
    await user.should_see("ask an administrator for hours")
    assert shared.service.as_owner(ada.id).datasets() == []
    assert shared.accounts.audit.list(action="upload") == []
    assert _left_behind(own_temp) == []


async def test_a_bad_option_is_named_in_the_pages_words(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = await _open(user, shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _received(user, "sensors.csv")
    _set(user, "time-format", "%d/%m/%Y")
    await _ingest_and_wait(user)
    await user.should_see("Upload failed: all 1080 row(s) were rejected", retries=SEEN)
    await user.should_see("('Time column', 'Time format', 'Day first')")  # not --time-col

    user.notify.messages.clear()
    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _received(user, "sensors.csv")
    _set(user, "time-format", "")
    _set(user, "time-col", "when")
    await _ingest_and_wait(user)
    await user.should_see("Upload failed: sensors.csv: no column 'when' for the time column")

    user.notify.messages.clear()
    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _received(user, "sensors.csv")
    _set(user, "time-col", "")
    user.find(marker="dataset").clear().type("no spaces please")
    user.find(marker="ingest").click()
    await user.should_see("Dataset: invalid dataset name 'no spaces please'", retries=SEEN)
    await user.should_see(content="sensors.csv ·")  # nothing ran: the file is kept for a retry
    assert shared.service.as_owner(ada.id).datasets() == []


async def test_a_file_over_the_limit_is_refused(web: tuple[User, Services], own_temp: Path) -> None:
    user, shared = web
    shared.settings.upload_max_bytes = 500
    await _open(user, shared)
    (uploader,) = user.find(ui.upload).elements
    assert uploader.props["max-total-size"] == 500  # the browser refuses it before sending

    await _send(user, "small.csv", BAD_ROWS)  # 109 bytes
    await _received(user, "small.csv")
    await _send(user, "big.csv", b"x" * 450)
    await user.should_see("File refused: big.csv is refused", retries=SEEN)
    await user.should_see("may hold 500 B in all")
    await user.should_not_see(content="big.csv ·")
    user.find(ui.upload).trigger("rejected")
    await user.should_see("Refused: one upload holds at most 100 files and 500 B in all")


async def test_ingest_runs_once_and_is_disabled_meanwhile(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = await _open(user, shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    user.find(marker="ingest").click()
    await user.should_see("Drop or pick at least one file first", retries=SEEN)

    await _send(user, "sensors.csv", SAMPLE.read_bytes())
    await _received(user, "sensors.csv")
    (button,) = user.find(marker="ingest").elements
    assert isinstance(button, ui.button)
    user.find(marker="ingest").click()
    user.find(marker="ingest").click()  # a second click before the first one started
    seen_disabled = False
    for _ in range(SEEN * 5):
        await asyncio.sleep(0.01)
        if not button.enabled:
            seen_disabled = True
            await user.should_see(content="Ingesting 1 file")
            break
    assert seen_disabled
    await user.should_see(marker="report-summary", retries=SEEN * 2)
    assert button.enabled
    assert len(shared.accounts.audit.list(action="upload")) == 1
    entries = shared.accounts.ledger.entries(ada.id)
    runs = {str(e.idempotency_key).split("#")[0] for e in entries if e.kind == EntryKind.DEBIT}
    assert len(runs) == 1  # one run charged (its overrun, if any, is debited under its key)


async def _suggested(user: User, expected: list[str]) -> list[str]:
    """The dataset names suggested, once they are ``expected`` (or after waiting for them)."""
    (name,) = user.find(marker="dataset").elements
    for _ in range(SEEN):
        if name.props["_autocomplete"] == expected:
            break
        await asyncio.sleep(0.1)
    return list(name.props["_autocomplete"])


async def test_only_my_dataset_names_are_suggested(
    web: tuple[User, Services], own_temp: Path
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.service.as_owner(ada.id).ingest([SAMPLE], "ada-sensors", IngestOptions())
    bob = shared.accounts.register("bob@example.com", PASSWORD)
    shared.service.as_owner(bob.id).ingest([SAMPLE], "bob-sensors", IngestOptions())
    await _signed_in(user, "bob@example.com")
    await user.open("/upload")
    await user.should_see(marker="ingest", retries=SEEN)
    assert await _suggested(user, ["bob-sensors"]) == ["bob-sensors"]

    # made elsewhere (another tab, the API) while the page is open
    Actions(shared, ada, None).create("ada-fresh")
    Actions(shared, bob, None).create("bob-fresh")
    fresh = ["bob-fresh", "bob-sensors"]
    assert await _suggested(user, fresh) == fresh
