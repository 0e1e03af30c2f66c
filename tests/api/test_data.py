"""Query (every format, by parameter or Accept), aggregates and export, compared with the Python
API on the same data; streaming of large results; metering of large queries and exports."""

from __future__ import annotations

import gzip
import io
import json
import threading
import zipfile
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import zstandard
from fastapi.testclient import TestClient
from polars.testing import assert_frame_equal

from tests.api.conftest import Account, assert_error, make_settings, services, signup
from tests.api.test_upload import SENSORS, ledger, upload, upload_sensors
from variosync.api import create_app
from variosync.api.responses import CHUNK_BYTES, Pipe, QueryFormat, negotiate
from variosync.catalog.ledger import EntryKind
from variosync.errors import UsageError
from variosync.query import Agg, Fill, Query

API = "/api/v1/datasets/sensors"


@pytest.fixture
def sensors(client: TestClient, user: Account) -> str:
    """The bundled sensors sample uploaded as 'sensors'."""
    return upload_sensors(client, user)


def direct(client: TestClient, user: Account, query: Query, name: str = "sensors") -> pl.DataFrame:
    """The same query through the Python API, as the user."""
    return services(client).service.as_owner(user.id).query(name, query)


def parse_times(frame: pl.DataFrame, zone: str = "UTC") -> pl.DataFrame:
    """ISO 8601 text (``Z`` or an offset) in ``ts`` back to timestamps shown in ``zone``."""
    stamps = pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us")
    return frame.with_columns(stamps.dt.convert_time_zone(zone))


DECODERS: dict[str, Callable[[bytes, str], pl.DataFrame]] = {
    "json": lambda body, zone: parse_times(pl.DataFrame(json.loads(body)), zone),
    "jsonl": lambda body, zone: parse_times(pl.read_ndjson(io.BytesIO(body)), zone),
    "csv": lambda body, zone: parse_times(pl.read_csv(io.BytesIO(body)), zone),
    "parquet": lambda body, zone: pl.read_parquet(io.BytesIO(body)),
    "arrow": lambda body, zone: pl.read_ipc_stream(io.BytesIO(body)),
}
MEDIA = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}


def zone_of(frame: pl.DataFrame) -> str:
    dtype = frame.schema["ts"]
    assert isinstance(dtype, pl.Datetime) and dtype.time_zone
    return dtype.time_zone


@pytest.mark.parametrize("fmt", list(DECODERS))
def test_query_every_format(client: TestClient, user: Account, sensors: str, fmt: str) -> None:
    for params, spec in [("", Query()), ("&tz=Europe/Berlin", Query(tz="Europe/Berlin"))]:
        expected = direct(client, user, spec)
        by_param = client.get(f"{API}/query?format={fmt}{params}", headers=user.headers)
        assert by_param.status_code == 200, by_param.text
        assert by_param.headers["content-type"] == MEDIA[fmt]
        assert_frame_equal(DECODERS[fmt](by_param.content, zone_of(expected)), expected)
        accept = {"Accept": MEDIA[fmt].split(";")[0]}
        by_accept = client.get(f"{API}/query?{params[1:]}", headers=user.headers | accept)
        assert by_accept.content == by_param.content


def test_json_rows(client: TestClient, user: Account, sensors: str) -> None:
    rows = client.get(f"{API}/query?series=outdoor&limit=1", headers=user.headers).json()
    first = {"series_id": "outdoor", "ts": "2024-01-15T06:00:00Z"}
    assert rows == [first | {"temperature": 3.97, "humidity": 63.5}]
    berlin = client.get(f"{API}/query?limit=1&tz=Europe/Berlin", headers=user.headers).json()
    assert berlin[0]["ts"] == "2024-01-15T07:00:00+01:00"


SELECTIONS: list[tuple[str, Query]] = [
    ("series=outdoor", Query(series=("outdoor",))),
    ("series=outdoor&series=greenhouse-1", Query(series=("outdoor", "greenhouse-1"))),
    (
        "series=outdoor,greenhouse-2&fields=humidity",
        Query(series=("outdoor", "greenhouse-2"), fields=("humidity",)),
    ),
    (
        "start=2024-01-15T07:00:00Z&end=2024-01-15T07:30:00",
        Query(start=datetime(2024, 1, 15, 7, tzinfo=UTC), end=datetime(2024, 1, 15, 7, 30)),
    ),
    ("every=1h&agg=mean,max", Query(every="1h", aggs=(Agg.MEAN, Agg.MAX))),
    ("every=15m&fields=temperature", Query(every="15m", fields=("temperature",))),
    (
        "every=1h&fill=previous&series=outdoor&start=2024-01-15T06:00:00Z",
        Query(
            every="1h",
            fill=Fill.PREVIOUS,
            series=("outdoor",),
            start=datetime(2024, 1, 15, 6, tzinfo=UTC),
        ),
    ),
    ("latest=true", Query(latest=True)),
    ("limit=5", Query(limit=5)),
    (
        "every=1d&agg=count&tz=America/New_York",
        Query(every="1d", aggs=(Agg.COUNT,), tz="America/New_York"),
    ),
    ("series=nope", Query(series=("nope",))),
]


def test_query_selections(client: TestClient, user: Account, sensors: str) -> None:
    for params, spec in SELECTIONS:
        expected = direct(client, user, spec)
        for fmt in ("json", "parquet"):
            response = client.get(f"{API}/query?format={fmt}&{params}", headers=user.headers)
            assert response.status_code == 200, (params, response.text)
            if fmt == "json" and not expected.height:
                assert response.json() == []
                continue
            found = DECODERS[fmt](response.content, zone_of(expected))
            assert_frame_equal(found, expected, check_dtypes=fmt != "json"), params


BAD_QUERIES = [
    ("fields=nope", "fields"),
    ("tz=Mars/Base", "tz"),
    ("agg=avg&every=1h", "agg"),
    ("agg=mean", "agg"),
    ("fill=previous", "fill"),
    ("start=yesterday", "start"),
    ("every=1parsec", "every"),
    ("every=1h&agg=mean&fields=nope", "fields"),
    ("limit=-1", "limit"),
    ("fill=bogus", "fill"),
    ("format=xml", "format"),
    ("as_of=-1", "as_of"),
]


@pytest.mark.parametrize("fmt", ["json", "csv", "arrow"])
def test_bad_queries_fail_before_any_body(
    client: TestClient, user: Account, sensors: str, fmt: str
) -> None:
    for params, field in BAD_QUERIES:
        response = client.get(f"{API}/query?format={fmt}&{params}", headers=user.headers)
        assert response.headers["content-type"] == "application/json", params
        error = assert_error(response, 422, "invalid_parameter")
        assert error.get("field") == field, params
    old = client.get(f"{API}/query?as_of=7&format={fmt}", headers=user.headers)
    assert_error(old, 404, "not_found")
    missing = client.get(f"/api/v1/datasets/nope/query?format={fmt}", headers=user.headers)
    assert_error(missing, 404, "not_found")
    assert ledger(client, user)[-1][1] == "ingest"  # nothing was metered


def test_aggregates(client: TestClient, user: Account, sensors: str) -> None:
    facade = services(client).service.as_owner(user.id)
    for every in ("1h", "30m"):
        rows = client.get(f"{API}/aggregates?every={every}", headers=user.headers).json()
        found = parse_times(pl.DataFrame(rows))
        assert_frame_equal(found, facade.aggregates("sensors", every), check_dtypes=False)
    old = client.get(f"{API}/aggregates?as_of=0", headers=user.headers).json()
    assert sum(r["points"] for r in old) == 1080
    bad = client.get(f"{API}/aggregates?every=soon", headers=user.headers)
    assert_error(bad, 422, "invalid_parameter")


def _unzip(body: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        (member,) = archive.namelist()
        assert member.startswith("sensors.")
        return archive.read(member)


UNPACK: dict[str | None, Callable[[bytes], bytes]] = {
    None: lambda body: body,
    "gz": gzip.decompress,
    "zst": lambda body: zstandard.ZstdDecompressor().decompressobj().decompress(body),
    "zip": _unzip,
}
READ: dict[str, Callable[[bytes], pl.DataFrame]] = {
    "csv": lambda body: parse_times(pl.read_csv(body)),
    "tsv": lambda body: parse_times(pl.read_csv(body, separator="\t")),
    "json": lambda body: DECODERS["json"](body, "UTC"),
    "jsonl": lambda body: DECODERS["jsonl"](body, "UTC"),
    "parquet": pl.read_parquet,
    "arrow": pl.read_ipc,
    "feather": pl.read_ipc,
}
EXPORTS = [
    ("csv", None, "sensors.csv", "text/csv"),
    ("tsv", None, "sensors.tsv", "text/tab-separated-values"),
    ("json", None, "sensors.json", "application/json"),
    ("parquet", None, "sensors.parquet", "application/vnd.apache.parquet"),
    ("arrow", None, "sensors.arrow", "application/vnd.apache.arrow.file"),
    ("feather", None, "sensors.feather", "application/vnd.apache.arrow.file"),
    ("csv", "gz", "sensors.csv.gz", "application/gzip"),
    ("jsonl", "zst", "sensors.jsonl.zst", "application/zstd"),
    ("parquet", "zip", "sensors.parquet.zip", "application/zip"),
]


def test_export_formats(client: TestClient, user: Account, sensors: str) -> None:
    expected = direct(client, user, Query(series=("outdoor",), fields=("temperature",)))
    for fmt, compression, filename, media in EXPORTS:
        params = f"format={fmt}&series=outdoor&fields=temperature"
        if compression:
            params += f"&compression={compression}"
        response = client.get(f"{API}/export?{params}", headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
        assert response.headers["content-type"].split(";")[0] == media
        found = READ[fmt](UNPACK[compression](response.content))
        assert_frame_equal(found, expected, check_dtypes=False)
    events = services(client).accounts.audit.list(user_id=user.id, action="export")
    assert len(events) == len(EXPORTS) and events[0].detail == {
        "format": "parquet",
        "compression": "zip",
        "as_of": None,
    }


def test_export_xlsx_and_bad_parameters(client: TestClient, user: Account, sensors: str) -> None:
    response = client.get(f"{API}/export?format=xlsx&series=outdoor", headers=user.headers)
    sheet = pl.read_excel(io.BytesIO(response.content))
    expected = direct(client, user, Query(series=("outdoor",)))
    assert sheet.columns == expected.columns and sheet.height == expected.height
    assert sheet["temperature"].to_list() == expected["temperature"].to_list()
    plain = client.get(f"{API}/export?compression=none", headers=user.headers)
    assert plain.headers["content-disposition"] == 'attachment; filename="sensors.csv"'
    for params, field in [("format=docx", "format"), ("compression=rar", "compression")]:
        bad = client.get(f"{API}/export?{params}", headers=user.headers)
        assert assert_error(bad, 422, "invalid_parameter")["field"] == field
    bad_field = client.get(f"{API}/export?fields=nope", headers=user.headers)
    assert_error(bad_field, 422, "invalid_parameter")


def test_writer_errors_answer_before_the_download(client: TestClient, user: Account) -> None:
    old = b"time,v\n1850-01-01T00:00:00Z,1.0\n"
    assert upload(client, user, "old", [("old.csv", old)]).status_code == 200
    before = len(ledger(client, user))
    response = client.get("/api/v1/datasets/old/export?format=xlsx", headers=user.headers)
    assert "1900-01-01" in assert_error(response, 422, "invalid_parameter")["message"]
    assert "content-disposition" not in response.headers
    assert ledger(client, user)[before:] == [
        (EntryKind.DEBIT, "export"),
        (EntryKind.REFUND, "export"),
    ]
    assert not services(client).accounts.audit.list(user_id=user.id, action="export")


def test_export_and_large_queries_are_metered(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", metered_query_rows=1000)
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=1)
        upload(client, user, "small", [("s.csv", SENSORS[:2000])])
        upload(client, user, "sensors", [("s.csv", SENSORS)])
        start = len(ledger(client, user))
        assert client.get("/api/v1/datasets/small/query", headers=user.headers).status_code == 200
        assert len(ledger(client, user)) == start  # under the threshold: free
        client.get(f"{API}/query", headers=user.headers)
        client.get(f"{API}/export", headers=user.headers)
        metered = ledger(client, user)[start:]
        assert {op for _, op in metered} == {"query", "export"}
        assert next(k for k, op in metered if op == "export") is EntryKind.DEBIT


def test_no_hours_no_export(
    client: TestClient, user: Account, sensors: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("variosync.api.routes.data.estimate_rows", lambda rows, rate: 10**9)
    before = ledger(client, user)
    response = client.get(f"{API}/export", headers=user.headers)
    assert assert_error(response, 402, "insufficient_hours")["cost_hours"] > 10
    assert ledger(client, user) == before
    assert not services(client).accounts.audit.list(user_id=user.id, action="export")


def test_large_result_streams(client: TestClient, user: Account) -> None:
    index = pl.int_range(0, 300_000, eager=True)
    frame = pl.DataFrame(
        {
            "series": "s" + (index % 3).cast(pl.String),
            "time": (index * 1_000_000 + 1_704_067_200_000_000).cast(pl.Datetime("us", "UTC")),
            "value": index.cast(pl.Float64) / 7,
        }
    )
    source = io.BytesIO()
    frame.write_parquet(source)
    stored = upload(client, user, "big", [("big.parquet", source.getvalue())], series_col="series")
    assert stored.json()["rows_written"] == 300_000, stored.text
    url = "/api/v1/datasets/big/query?format=csv"
    with client.stream("GET", url, headers=user.headers) as response:
        assert response.status_code == 200
        body = b"".join(response.iter_bytes())
    assert len(body) > 4 * CHUNK_BYTES
    expected = direct(client, user, Query(), "big")
    assert_frame_equal(parse_times(pl.read_csv(io.BytesIO(body))), expected)


@contextmanager
def _recording(outcomes: list[object]) -> Any:
    try:
        yield
    except BaseException as exc:
        outcomes.append(type(exc))
        raise
    outcomes.append(None)


def test_pipe_stops_the_writer_when_the_client_goes() -> None:
    outcomes: list[object] = []
    stack = ExitStack()
    stack.enter_context(_recording(outcomes))

    def endless(out: Any) -> None:
        while True:
            out.write(b"x" * 65536)

    pipe = Pipe()
    thread = threading.Thread(target=pipe.fill, args=(endless, stack.pop_all()))
    thread.start()
    chunks = pipe.chunks()
    assert len(next(chunks)) == CHUNK_BYTES
    chunks.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcomes == [None]  # settled as a finished run: the time used is charged


@pytest.mark.parametrize(
    "sizes",
    [
        [],
        [1, 10, 1000],
        [CHUNK_BYTES],
        [CHUNK_BYTES - 1, 2, CHUNK_BYTES + 1],
        [7, 3 * CHUNK_BYTES + 5, 1, CHUNK_BYTES - 8],
    ],
)
def test_pipe_keeps_every_byte_in_full_chunks(sizes: list[int]) -> None:
    pieces = [bytes([n % 251]) * size for n, size in enumerate(sizes)]

    def write(out: Any) -> None:
        for piece in pieces:
            assert out.write(memoryview(piece)) == len(piece)

    pipe = Pipe()
    threading.Thread(target=pipe.fill, args=(write, ExitStack())).start()
    chunks = list(pipe.chunks())
    assert b"".join(chunks) == b"".join(pieces)
    assert all(len(chunk) == CHUNK_BYTES for chunk in chunks[:-1])
    assert pipe.tell() == sum(sizes)


def test_pipe_hands_the_writer_error_to_the_response() -> None:
    outcomes: list[object] = []
    stack = ExitStack()
    stack.enter_context(_recording(outcomes))

    def failing(out: Any) -> None:
        out.write(b"[")
        raise UsageError("too many rows")

    pipe = Pipe()
    threading.Thread(target=pipe.fill, args=(failing, stack.pop_all())).start()
    with pytest.raises(UsageError, match="too many rows"):
        next(pipe.chunks())
    assert outcomes == [UsageError]  # refunded in full


@pytest.mark.parametrize(
    ("fmt", "accept", "chosen"),
    [
        (None, None, QueryFormat.JSON),
        (None, "text/csv", QueryFormat.CSV),
        (None, "application/json;q=0.5, text/csv", QueryFormat.CSV),
        (None, "text/html, */*;q=0.8", QueryFormat.JSON),
        (None, "application/x-ndjson;q=0.9, application/vnd.apache.parquet", QueryFormat.PARQUET),
        (None, "application/vnd.apache.arrow.stream;q=0", QueryFormat.JSON),
        (None, "application/vnd.apache.arrow.stream;q=oops", QueryFormat.JSON),
        (QueryFormat.JSONL, "text/csv", QueryFormat.JSONL),
    ],
)
def test_negotiate(fmt: QueryFormat | None, accept: str | None, chosen: QueryFormat) -> None:
    assert negotiate(fmt, accept) is chosen


def test_reading_an_old_larger_version_is_estimated_on_its_own_rows(tmp_path: Path) -> None:
    """Today's version may be tiny while an old one is large: the estimate follows the read."""
    settings = make_settings(tmp_path / "home", metered_query_rows=100)
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=1)
        head = b"time,value\n"
        small = head + b"".join(b"2024-01-01T00:00:%02dZ,1\n" % i for i in range(5))
        large = head + b"".join(b"2024-01-02T%02d:%02d:00Z,2\n" % divmod(i, 60) for i in range(600))
        for body in (small, large):
            assert upload(client, user, "grow", [("g.csv", body)]).status_code == 200
        restored = client.post(
            "/api/v1/datasets/grow/restore", json={"version": 0}, headers=user.headers
        )
        assert restored.status_code == 200, restored.text
        before = len(ledger(client, user))
        today = client.get("/api/v1/datasets/grow/query", headers=user.headers)
        assert today.status_code == 200 and len(today.json()) == 5
        assert len(ledger(client, user)) == before  # 5 rows: free
        old = client.get("/api/v1/datasets/grow/query?as_of=1", headers=user.headers)
        assert old.status_code == 200 and len(old.json()) == 605
        assert [kind for kind, _ in ledger(client, user)[before:]][:1] == [EntryKind.DEBIT]
