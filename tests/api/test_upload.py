"""POST /datasets/{name}/upload: multipart files plus the ingest options, streamed to disk under
the size limit, ingested as one version and metered."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Account, assert_error, make_settings, services, signup
from variosync.api import create_app
from variosync.api.uploads import safe_name
from variosync.catalog.ledger import EntryKind

SENSORS = (resources.files("variosync") / "samples" / "sensors.csv").read_bytes()
HEAD, *LINES = SENSORS.decode().splitlines(keepends=True)
BAD_CSV = (
    "time,sensor,v\n"
    "2024-01-01T00:00:00Z,a,1.5\n"
    "not a time,a,2.5\n"
    "2024-01-01T02:00:00Z,a,3.5\n"
    "2024-01-01T03:00:00Z,,4.5\n"
)


def upload(
    client: TestClient,
    account: Account,
    name: str,
    files: list[tuple[str, bytes]],
    headers: dict[str, str] | None = None,
    **form: str,
) -> Any:
    """POST the files (name, bytes) and form fields as multipart; returns the response."""
    return client.post(
        f"/api/v1/datasets/{name}/upload",
        files=[("files", (filename, data, "application/octet-stream")) for filename, data in files],
        data=form,
        headers=account.headers | (headers or {}),
    )


def upload_sensors(client: TestClient, account: Account, name: str = "sensors") -> str:
    """The bundled sensors sample uploaded as ``name``; returns the name."""
    response = upload(client, account, name, [("sensors.csv", SENSORS)])
    assert response.status_code == 200, response.text
    return name


def dataset(client: TestClient, account: Account, name: str) -> Any:
    """GET /datasets/{name}."""
    return client.get(f"/api/v1/datasets/{name}", headers=account.headers)


def ledger(client: TestClient, account: Account) -> list[tuple[EntryKind, str]]:
    """The account's ledger entries (kind, operation), oldest first."""
    entries = services(client).accounts.ledger.entries(account.id)
    return [(e.kind, e.operation) for e in reversed(entries)]


def balance(client: TestClient, account: Account) -> int:
    return services(client).accounts.ledger.balance_ms(account.id)


def test_one_file(client: TestClient, user: Account) -> None:
    response = upload(client, user, "sensors", [("sensors.csv", SENSORS)])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["files"] == [{"path": "sensors.csv", "format": "csv", "rows": 1080, "rejected": 0}]
    expected = {"dataset": "sensors", "kind": "generic", "rows_read": 1080, "rows_written": 1080}
    assert expected.items() <= body.items()
    assert (body["inserted"], body["updated"], body["series"], body["version"]) == (1080, 0, 3, 0)
    assert (body["start"], body["end"]) == ("2024-01-15T06:00:00Z", "2024-01-15T11:59:00Z")
    assert (body["rejected"], body["rejects_sample"], body["cleaning"]) == (0, [], [])
    info = dataset(client, user, "sensors").json()
    assert (info["row_count"], info["version"], info["versions"]) == (1080, 0, 1)
    audit = services(client).accounts.audit.list(user_id=user.id, action="upload")
    assert [(e.target, e.detail) for e in audit] == [
        ("sensors", {"version": 0, "rows": 1080, "files": 1})
    ]


def test_several_files_are_one_version(client: TestClient, user: Account) -> None:
    first = HEAD + "".join(LINES[:500])
    second = HEAD + "".join(LINES[500:])
    files = [("part.csv", first.encode()), ("more/part.csv", second.encode())]
    body = upload(client, user, "sensors", files).json()
    assert [(f["path"], f["rows"]) for f in body["files"]] == [("part.csv", 500), ("part.csv", 580)]
    assert (body["rows_written"], body["version"]) == (1080, 0)
    again = upload(client, user, "sensors", [("sensors.csv", SENSORS)]).json()
    assert (again["inserted"], again["updated"], again["version"]) == (0, 1080, 1)


def test_rejected_rows_are_reported(client: TestClient, user: Account) -> None:
    body = upload(client, user, "bad", [("bad.csv", BAD_CSV.encode())]).json()
    assert (body["rows_read"], body["rows_written"], body["rejected"]) == (4, 2, 2)
    rows = [(r["file"], r["row"], r["column"]) for r in body["rejects_sample"]]
    assert rows == [("bad.csv", 2, "time"), ("bad.csv", 4, "sensor")]
    assert all(r["reason"] for r in body["rejects_sample"])


def test_strict_writes_nothing_and_refunds(client: TestClient, user: Account) -> None:
    before = balance(client, user)
    response = upload(client, user, "bad", [("bad.csv", BAD_CSV.encode())], strict="true")
    error = assert_error(response, 422, "rejected_rows")
    assert "bad.csv row 2" in error["message"]
    assert_error(dataset(client, user, "bad"), 404, "not_found")
    assert balance(client, user) == before
    kinds = [kind for kind, _ in ledger(client, user)]
    assert kinds[-2:] == [EntryKind.DEBIT, EntryKind.REFUND]


UNREADABLE = [
    ([("blob.bin", bytes(range(256)) * 4)], "unknown_format", "blob.bin"),
    ([("empty.csv", b"")], "unknown_format", "empty.csv"),
    ([("head.csv", b"time,v\n")], "timestamp_error", "head.csv"),
    ([("sensors.csv", SENSORS), ("one.csv", b"time,v\n")], "timestamp_error", "one.csv"),
]


def test_files_that_cannot_be_read(client: TestClient, user: Account) -> None:
    before = balance(client, user)
    for files, code, fragment in UNREADABLE:
        error = assert_error(upload(client, user, "x", files), 422, code)
        assert fragment in error["message"]
        assert "variosync-upload" not in error["message"]  # our temporary folder stays ours
        assert_error(dataset(client, user, "x"), 404, "not_found")
    assert balance(client, user) == before


OPTION_CSV = b"when;dev;temp;hum\n15.01.2024 06:00;a;1.5;10\n16.01.2024 06:00;b;2.5;20\n"


OPTIONS: list[tuple[dict[str, str], dict[str, Any]]] = [
    ({}, {"series": 1, "start": "2024-01-15T06:00:00Z", "fields": ["dev", "temp", "hum"]}),
    ({"fields": "temp"}, {"fields": ["temp"]}),
    ({"tz": "Europe/Berlin"}, {"start": "2024-01-15T05:00:00Z"}),
    ({"time_col": "when", "series_col": "dev"}, {"series": 2, "fields": ["temp", "hum"]}),
    ({"time_format": "%d.%m.%Y %H:%M", "dayfirst": "true"}, {"end": "2024-01-16T06:00:00Z"}),
    ({"kind": "generic", "sheet": ""}, {"kind": "generic"}),
]


def test_ingest_options(client: TestClient, user: Account) -> None:
    for index, (form, expected) in enumerate(OPTIONS):
        name = f"opts-{index}"
        response = upload(client, user, name, [("o.csv", OPTION_CSV)], **form)
        assert response.status_code == 200, response.text
        info = dataset(client, user, name).json()
        found = response.json() | {"fields": [f["name"] for f in info["fields"]]}
        assert {k: found[k] for k in expected} == expected, form


BAD_FORMS = [
    ({"dayfirst": "maybe"}, "dayfirst"),
    ({"kind": "bars"}, "kind"),
    ({"colour": "red"}, "colour"),
]


def test_bad_form_fields_name_the_field(client: TestClient, user: Account) -> None:
    for form, field in BAD_FORMS:
        response = upload(client, user, "x", [("sensors.csv", SENSORS)], **form)
        assert assert_error(response, 422, "invalid_parameter")["field"] == field
    assert_error(dataset(client, user, "x"), 404, "not_found")


def test_bad_requests(client: TestClient, user: Account) -> None:
    url = "/api/v1/datasets/x/upload"
    not_multipart = client.post(url, json={"files": []}, headers=user.headers)
    assert "multipart" in assert_error(not_multipart, 422, "invalid_parameter")["message"]
    no_file = client.post(url, data={"tz": "UTC"}, files={}, headers=user.headers)
    assert_error(no_file, 422, "invalid_parameter")
    wrong_field = client.post(url, files={"data": ("a.csv", SENSORS)}, headers=user.headers)
    assert_error(wrong_field, 422, "invalid_parameter")
    bad_name = upload(client, user, "no/such", [("a.csv", SENSORS)])
    assert bad_name.status_code == 404  # a slash is not part of a name: no such route
    assert_error(upload(client, user, "-x", [("a.csv", SENSORS)]), 422, "invalid_parameter")
    assert client.get("/api/v1/datasets", headers=user.headers).json() == []


def _chunked(body: bytes) -> Iterator[bytes]:
    """The body in pieces, so that the request has no Content-Length."""
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


def test_oversized_upload_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", upload_max_bytes=20_000)
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=1)
        before = ledger(client, user)
        declared = upload(client, user, "big", [("sensors.csv", SENSORS)])
        assert_error(declared, 413, "too_large")
        boundary = "b0undary"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="s.csv"\r\n'
            f"\r\n".encode()
            + SENSORS
            + f"\r\n--{boundary}--\r\n".encode()
        )
        streamed = client.post(
            "/api/v1/datasets/big/upload",
            content=_chunked(body),
            headers=user.headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert "content-length" not in streamed.request.headers
        assert_error(streamed, 413, "too_large")
        assert_error(dataset(client, user, "big"), 404, "not_found")
        assert ledger(client, user) == before
        small = upload(client, user, "small", [("s.csv", (HEAD + "".join(LINES[:30])).encode())])
        assert small.status_code == 200, small.text


def test_upload_is_billed(
    client: TestClient, user: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an estimate far above the run's time: the unused part must come back as a refund
    monkeypatch.setattr("variosync.api.actions.estimate_ingest", lambda size: 60_000)
    before = balance(client, user)
    key = {"Idempotency-Key": "upload-1"}
    assert upload(client, user, "sensors", [("sensors.csv", SENSORS)], key).status_code == 200
    after = balance(client, user)
    assert 0 < before - after < 60_000
    assert ledger(client, user)[1:] == [(EntryKind.DEBIT, "ingest"), (EntryKind.REFUND, "ingest")]
    # the same key again (a retry) runs but is not charged again
    assert upload(client, user, "sensors", [("sensors.csv", SENSORS)], key).status_code == 200
    assert balance(client, user) == after
    assert len(ledger(client, user)) == 3
    fresh = {"Idempotency-Key": "upload-2"}
    assert upload(client, user, "sensors", [("sensors.csv", SENSORS)], fresh).status_code == 200
    assert balance(client, user) < after


def test_no_hours_no_upload(client: TestClient) -> None:
    broke = signup(client)
    response = upload(client, broke, "sensors", [("sensors.csv", SENSORS)])
    error = assert_error(response, 402, "insufficient_hours")
    assert error["balance_hours"] == 0 and error["cost_hours"] > 0
    assert_error(dataset(client, broke, "sensors"), 404, "not_found")
    assert ledger(client, broke) == []


def test_without_enforced_payment_nothing_is_debited(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", enforce_payment=False)
    with TestClient(create_app(settings)) as client:
        user = signup(client)
        response = upload(client, user, "sensors", [("sensors.csv", SENSORS)])
        assert response.status_code == 200, response.text
        assert ledger(client, user) == []


@pytest.mark.parametrize(
    ("sent", "safe"),
    [
        ("sensors.csv", "sensors.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\prices.csv.gz", "prices.csv.gz"),
        ("my data (1).csv", "my_data_1_.csv"),
        ("données.parquet", "donn_es.parquet"),
        ("", "upload-3"),
        ("..", "upload-3"),
        (".hidden.csv", "upload-3.csv"),
        ("/", "upload-3"),
        ("x" * 200 + ".csv.gz", "upload-3.csv.gz"),
        ("a.csv\x00.exe", "a.csv_.exe"),
    ],
)
def test_safe_name(sent: str, safe: str) -> None:
    assert safe_name(sent, 3) == safe


@pytest.mark.parametrize("suffix", ["gz", "zip"])
def test_a_file_that_unpacks_past_the_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    """A small compressed upload must not fill the server's disk (a zip bomb)."""
    import gzip
    import io
    import zipfile

    rows = "time,value\n" + "2024-01-01T00:00:00Z,1.0\n" * 200_000  # ~5 MB, compresses ~1000×
    if suffix == "gz":
        packed = gzip.compress(rows.encode())
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("rows.csv", rows)
        packed = buffer.getvalue()
    settings = make_settings(tmp_path / "home", upload_max_unpacked_bytes=1_000_000)
    with TestClient(create_app(settings)) as client:
        user = signup(client, hours=1)
        before = ledger(client, user)
        refused = upload(client, user, "bomb", [(f"rows.csv.{suffix}", packed)])
        error = assert_error(refused, 413, "too_large")
        assert "unpacks to more than 1,000,000 bytes" in str(error["message"])
        assert_error(dataset(client, user, "bomb"), 404, "not_found")
        assert ledger(client, user)[len(before) :] == [
            (EntryKind.DEBIT, "ingest"),
            (EntryKind.REFUND, "ingest"),
        ]
