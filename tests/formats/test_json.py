"""JSON documents and JSON Lines, including the reference system's sample files."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import polars as pl
import pytest

from variosync.errors import ReadError
from variosync.formats import ReadOptions, open_source

from .conftest import Writer
from .samples import PACKAGE_SAMPLES, SEED_SAMPLES, read_all, require


@pytest.mark.parametrize("name", ["sample_data.json", "financial_sample.json"])
def test_package_samples_are_byte_identical_to_the_seed_samples(name: str) -> None:
    assert filecmp.cmp(PACKAGE_SAMPLES / name, require(SEED_SAMPLES) / name, shallow=False)


@pytest.mark.parametrize("folder", [PACKAGE_SAMPLES, SEED_SAMPLES], ids=["package", "seed"])
def test_reference_sample_flattens_measurements_and_merges_units(folder: Path) -> None:
    source, frame = read_all(require(folder) / "sample_data.json")
    assert (source.format, source.series_col, source.time_col) == ("json", "series_id", "timestamp")
    assert source.units == {
        "close": "USD",
        "temperature": "Celsius",
        "humidity": "%",
        "pressure": "hPa",
    }
    assert frame.columns == [
        "series_id", "timestamp", "open", "high", "low", "close", "vol",
        "temperature", "humidity", "pressure",
    ]  # fmt: skip
    assert frame["series_id"].to_list() == ["AAPL", "MSFT", "WEATHER-STATION-001"]
    assert frame["close"].to_list() == [185.85, 381.5, None]
    assert frame.schema["vol"] == pl.Int64
    assert frame.schema["humidity"] == pl.Int64
    assert frame.schema["pressure"] == pl.Float64
    assert "format" not in frame.columns


@pytest.mark.parametrize("folder", [PACKAGE_SAMPLES, SEED_SAMPLES], ids=["package", "seed"])
def test_financial_sample_drops_the_source_tag(folder: Path) -> None:
    source, frame = read_all(require(folder) / "financial_sample.json")
    assert (source.series_col, source.time_col) == ("ticker", "timestamp")
    assert frame.columns == ["ticker", "timestamp", "open", "high", "low", "close", "vol"]
    assert frame.row(1) == ("GOOGL", "2024-01-15T09:30:00", 142.3, 143.15, 142.1, 142.95, 5432109)


@pytest.mark.parametrize(
    ("document", "expected", "dtypes"),
    [
        (
            {"timestamp": ["t1", "t2"], "value": [1, 2.5]},
            {"timestamp": ["t1", "t2"], "value": [1.0, 2.5]},
            [pl.String, pl.Float64],
        ),
        (
            {"data": [{"ts": "t1", "v": 1}, {"ts": "t2", "v": 2}]},
            {"ts": ["t1", "t2"], "v": [1, 2]},
            [pl.String, pl.Int64],
        ),
        (
            [{"ts": "t1", "a": 1}, {"ts": "t2", "b": True}],
            {"ts": ["t1", "t2"], "a": [1, None], "b": [None, True]},
            [pl.String, pl.Int64, pl.Boolean],
        ),
        (
            [{"v": 1}, {"v": "n/a"}, {"v": None}, {"v": {"x": 1}}],
            {"v": ["1", "n/a", None, '{"x": 1}']},
            [pl.String],
        ),
        ({"ts": "t1", "v": 1}, {"ts": ["t1"], "v": [1]}, [pl.String, pl.Int64]),
        ([{"v": 2**70}], {"v": [str(2**70)]}, [pl.String]),
        ([], {}, []),
    ],
)
def test_json_shapes(write: Writer, document: object, expected: dict, dtypes: list) -> None:
    _, frame = read_all(write("doc.json", json.dumps(document)))
    assert frame.to_dict(as_series=False) == expected
    assert frame.dtypes == dtypes


def test_json_batches_respect_batch_rows(write: Writer) -> None:
    path = write("many.json", json.dumps([{"i": i} for i in range(25)]))
    with open_source(path, ReadOptions(batch_rows=10)) as source:
        assert [batch.height for batch in source.batches] == [10, 10, 5]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"a": 1}, ', r"broken\.json: not valid JSON document"),
        (b"[1, 2, 3]", r"broken\.json: the JSON holds no list of records"),
        (b'"just a string"', r"broken\.json: the JSON holds no list of records"),
    ],
)
def test_bad_json_is_a_read_error(write: Writer, content: bytes, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_all(write("broken.json", content))


def test_jsonl_streams_in_batches_with_the_reference_shape(write: Writer) -> None:
    lines = [
        {"series_id": f"s{i}", "timestamp": f"t{i}", "measurements": {"v": i},
         "metadata": {"units": {"v": "m"}} if i == 4 else {}, "format": "custom"}
        for i in range(5)
    ]  # fmt: skip
    path = write("ref.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    with open_source(path, ReadOptions(batch_rows=2)) as source:
        batches = list(source.batches)
        assert (source.series_col, source.time_col) == ("series_id", "timestamp")
        assert source.units == {"v": "m"}
    assert [batch.height for batch in batches] == [2, 2, 1]
    frame = pl.concat(batches)
    assert frame.columns == ["series_id", "timestamp", "v"]
    assert frame["v"].to_list() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}\n{"a": \n', r"bad\.jsonl: not valid JSON \(line 2\)"),
        (b'{"a": 1}\n[1, 2]\n', r"bad\.jsonl: line 2 is not a JSON object"),
    ],
)
def test_bad_jsonl_line_is_a_read_error(write: Writer, content: bytes, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_all(write("bad.jsonl", content))
