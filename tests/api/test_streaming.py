"""Streamed downloads end cleanly however the client leaves, and an upload's form fields are
capped while the body is parsed.

A client that stops reading is charged the time used (not refunded in full as a failed run),
and its writer thread ends and settles the reservation at once. The downloads run against a
real server (uvicorn in a thread): only a real connection going away shows what Starlette does
then (it cancels the response without closing its body iterator).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Literal

import httpx
import polars as pl
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.types import Message

from tests.api.conftest import PASSWORD, Account, assert_error
from tests.api.test_upload import OPTION_CSV
from variosync.api import create_app
from variosync.api.app import build_services
from variosync.api.deps import Services
from variosync.api.responses import CHUNK_BYTES, Pipe, QueryFormat, write_query
from variosync.api.uploads import MAX_FIELDS, MAX_FIELDS_BYTES, receive_form
from variosync.billing import FAILED
from variosync.catalog.ledger import MS_PER_HOUR, EntryKind
from variosync.errors import StorageError, TooLargeError, UsageError
from variosync.export import write_stream
from variosync.model import IngestOptions
from variosync.settings import Settings

ROWS = 1_000_000
"""Enough rows that every download is many megabytes: the writer is still busy (blocked on
its queue) when the client leaves after the first chunk."""
WRITER_THREAD = "variosync-stream"


def big_frame() -> pl.DataFrame:
    """Three series of points a second apart, with values that do not compress away."""
    index = pl.int_range(0, ROWS, eager=True)
    return pl.DataFrame(
        {
            "series": "s" + (index % 3).cast(pl.String),
            "ts": (index * 1_000_000 + 1_704_067_200_000_000).cast(pl.Datetime("us", "UTC")),
            "value": index.hash(7).cast(pl.Float64) / 7,
        }
    )


def wait_for(check: Callable[[], object], within: float = 5.0) -> bool:
    """Poll ``check`` until it is true or ``within`` seconds passed (no gc.collect: a leak
    that only a cyclic collection would end must show)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def writer_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == WRITER_THREAD and t.is_alive()}


# -- a client that leaves mid-download (real server) ----------------------------------------


@dataclass
class Live:
    """A running server, its services, and a user (10 hours) who owns the dataset ``big``."""

    url: str
    shared: Services
    user_id: str
    headers: dict[str, str]


@contextmanager
def serving(app: FastAPI, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """uvicorn serving ``app`` on a free loopback port in a thread; its URL; stopped on exit.
    With ``lifespan="on"`` the app builds (and at the end closes) its own services."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan=lifespan)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
        thread.start()
        try:
            assert wait_for(lambda: server.started or not thread.is_alive(), 30)
            assert server.started, "uvicorn did not start"
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("live")
    # the lifespan would build a second set of services: these are built here, shared with
    # the test, which reads the ledger and the audit log the server writes
    settings = Settings(home=home / "home", signup_hours=0.0, metered_query_rows=1000)
    app = create_app(settings)
    shared = build_services(settings)
    app.state.services = shared
    try:
        user = shared.accounts.register("stream@example.com", PASSWORD)
        shared.accounts.grant(None, user.id, 10 * MS_PER_HOUR)
        _, secret = shared.accounts.create_key(user, "stream")
        source = home / "big.parquet"
        big_frame().write_parquet(source)
        options = IngestOptions(series_col="series")
        shared.service.as_owner(user.id).ingest([source], "big", options)
        with serving(app) as url:
            yield Live(url, shared, user.id, {"Authorization": f"Bearer {secret}"})
    finally:
        shared.service.close()


def leave_after_first_chunk(live: Live, path: str) -> str:
    """GET ``path``, read one chunk and hang up; the run's key as the ledger records it."""
    key = uuid.uuid4().hex
    headers = live.headers | {"Idempotency-Key": key}
    with (
        httpx.Client(base_url=live.url, timeout=30) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert next(response.iter_raw())
    return "req:" + key


def settled(live: Live, key: str) -> bool:
    """Whether the run under ``key`` was settled (the meter's last step is its audit event)."""
    events = live.shared.accounts.audit.list(user_id=live.user_id, action="debit")
    return any(e.detail is not None and e.detail.get("key") == key for e in events)


DOWNLOADS = [f"/api/v1/datasets/big/query?format={fmt}" for fmt in QueryFormat] + [
    "/api/v1/datasets/big/export?format=csv",
    "/api/v1/datasets/big/export?format=csv&compression=gz",
]


@pytest.mark.parametrize("path", DOWNLOADS)
def test_a_client_that_leaves_is_charged_and_its_writer_ends(live: Live, path: str) -> None:
    before = writer_threads()
    key = leave_after_first_chunk(live, path)
    assert wait_for(lambda: not writer_threads() - before), "the writer outlived its client"
    assert wait_for(lambda: settled(live, key)), "the reservation was never settled"
    ledger = live.shared.accounts.ledger
    debit = ledger.by_key(live.user_id, key)
    assert debit is not None and debit.kind is EntryKind.DEBIT
    assert ledger.by_key(live.user_id, key + FAILED) is None  # not refunded as a failed run


# -- the pipe itself ------------------------------------------------------------------------


@contextmanager
def recording(outcomes: list[object]) -> Iterator[None]:
    """A stand-in for the meter: records how the run ended (None, or the error's type)."""
    try:
        yield
    except BaseException as exc:
        outcomes.append(type(exc))
        raise
    outcomes.append(None)


Writer = Callable[[Iterable[pl.DataFrame], BinaryIO], object]
WRITERS: dict[str, Writer] = {
    **{f"query-{fmt}": partial(write_query, fmt=fmt) for fmt in QueryFormat},
    "export-csv": partial(write_stream, fmt="csv"),
    "export-csv-gz": partial(write_stream, fmt="csv", compression="gz"),
}


@pytest.mark.parametrize("writer", list(WRITERS.values()), ids=list(WRITERS))
def test_a_cancelled_writer_ends_as_a_run_not_a_failure(writer: Writer) -> None:
    # polars' CSV writer turns the pipe's cancellation into an OSError of its own
    frame = big_frame().rename({"series": "series_id"})  # as the store streams them
    outcomes: list[object] = []
    with ExitStack() as stack:
        stack.enter_context(recording(outcomes))
        pipe = Pipe()
        fill = partial(pipe.fill, lambda out: writer(frame.iter_slices(50_000), out))
        thread = threading.Thread(target=fill, args=(stack.pop_all(),))
    thread.start()
    chunks = pipe.chunks()
    assert len(next(chunks)) == CHUNK_BYTES
    chunks.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcomes == [None]  # settled as a finished run: the time used is charged


def test_stop_releases_a_reader_waiting_on_a_slow_writer() -> None:
    # the response's worker thread may sit in the queue's get() when the client leaves
    resume = threading.Event()

    def slow(out: Any) -> None:
        out.write(b"x" * CHUNK_BYTES)
        resume.wait(10)
        out.write(b"y")

    pipe = Pipe()
    writer = threading.Thread(target=pipe.fill, args=(slow, ExitStack()))
    writer.start()
    chunks = pipe.chunks()
    assert len(next(chunks)) == CHUNK_BYTES
    reader = threading.Thread(target=list, args=(chunks,))
    reader.start()
    time.sleep(0.2)  # the reader now waits for a chunk that will never come
    pipe.stop()
    resume.set()
    writer.join(timeout=10)
    reader.join(timeout=10)
    assert not writer.is_alive() and not reader.is_alive()


# -- an upload's form fields ----------------------------------------------------------------

BOUNDARY = "f0rmb0undary"


def form_parts(fields: int, size: int) -> Iterator[bytes]:
    """A multipart body of ``fields`` text fields of ``size`` bytes, a part at a time."""
    for index in range(fields):
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{index}"\r\n\r\n'
        yield head.encode() + b"x" * size + b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def refused(parts: Iterator[bytes], folder: Path) -> tuple[Exception, int]:
    """``receive_form`` over a body that arrives a part at a time: the error it raised and the
    bytes it had taken from the body by then."""
    taken = 0

    async def receive() -> Message:
        nonlocal taken
        part = next(parts, b"")
        taken += len(part)
        return {"type": "http.request", "body": part, "more_body": bool(part)}

    content_type = f"multipart/form-data; boundary={BOUNDARY}".encode()
    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", content_type)]}
    with pytest.raises((UsageError, TooLargeError)) as caught:
        asyncio.run(receive_form(Request(scope, receive), folder, 2**31))
    return caught.value, taken


def test_large_fields_are_refused_as_they_arrive(tmp_path: Path) -> None:
    error, taken = refused(form_parts(1500, 60_000), tmp_path)
    assert isinstance(error, TooLargeError)
    assert "'f4'" in error.message and f"{MAX_FIELDS_BYTES:,}" in error.message
    assert taken <= MAX_FIELDS_BYTES + 61_000  # stopped at the cap, not after 90 MB


def test_many_fields_are_refused_as_they_arrive(tmp_path: Path) -> None:
    error, taken = refused(form_parts(1500, 10), tmp_path)
    assert isinstance(error, UsageError)
    assert f"'f{MAX_FIELDS}'" in error.message and f"{MAX_FIELDS}" in error.message
    assert taken < 100 * (MAX_FIELDS + 1)


def post_form(client: TestClient, user: Account, fields: dict[str, str]) -> Any:
    """An upload of OPTION_CSV with these form fields."""
    return client.post(
        "/api/v1/datasets/opts/upload",
        files=[("files", ("o.csv", OPTION_CSV, "text/csv"))],
        data=fields,
        headers=user.headers,
    )


def test_the_api_answers_field_caps(client: TestClient, user: Account) -> None:
    large = post_form(client, user, {f"f{n}": "x" * 60_000 for n in range(200)})
    assert "form fields" in str(assert_error(large, 413, "too_large")["message"])
    many = post_form(client, user, {f"f{n}": "1" for n in range(MAX_FIELDS + 1)})
    assert "form fields" in str(assert_error(many, 422, "invalid_parameter")["message"])
    assert client.get("/api/v1/datasets", headers=user.headers).json() == []


def test_every_known_option_still_fits(client: TestClient, user: Account) -> None:
    options = {
        "time_col": "when",
        "time_format": "%d.%m.%Y %H:%M",
        "dayfirst": "true",
        "tz": "Europe/Berlin",
        "series_col": "dev",
        "fields": "temp,hum",
        "kind": "generic",
        "sheet": "",
        "strict": "true",
    }
    response = post_form(client, user, options)
    assert response.status_code == 200, response.text
    assert response.json()["rows_written"] == 2


def test_an_export_whose_route_fails_after_its_writer_started_stops_the_writer(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit write comes after the writer started; if it fails, no response is sent, and
    only the route can stop the writer."""
    audit = live.shared.accounts.audit
    record = audit.record

    def failing(action: str, **kwargs: Any) -> None:
        if action == "export":
            raise StorageError("the audit log is unavailable")
        record(action, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    before = writer_threads()
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as http:
        response = http.get("/api/v1/datasets/big/export", params={"format": "csv"})
    assert_error(response, 503, "storage_error")
    assert wait_for(lambda: not (writer_threads() - before)), "the writer outlived its route"
