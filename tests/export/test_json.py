"""JSON and JSON Lines: ISO ``Z`` timestamps, nulls, NaN and infinities as null, exact floats."""

from __future__ import annotations

import io
import json
from datetime import datetime

import polars as pl

from variosync.export.json import write_json, write_jsonl
from variosync.model import SERIES, TS

from .conftest import canonical


def render(writer: object, batches: list[pl.DataFrame]) -> str:
    out = io.BytesIO()
    writer(batches, out)  # type: ignore[operator]
    return out.getvalue().decode()


def test_jsonl_exact_lines(sample: pl.DataFrame) -> None:
    assert render(write_jsonl, [sample]).splitlines() == [
        '{"series_id":"a,b \\"q\\"","ts":"2024-01-15T09:30:00Z",'
        '"f":0.1,"i":1,"s":"x\\ny","b":true}',
        '{"series_id":"Zürich-温度","ts":"1900-01-01T00:00:00.123Z",'
        '"f":1e+300,"i":null,"s":"","b":null}',
        '{"series_id":"x y=z","ts":"1969-12-31T23:59:59.500001Z",'
        '"f":null,"i":-5,"s":null,"b":false}',
    ]


def test_json_is_one_array_across_batches(sample: pl.DataFrame) -> None:
    text = render(write_json, [sample, sample.clear(), sample])
    records = json.loads(text)
    assert len(records) == 6
    assert records[0] == {
        "series_id": 'a,b "q"',
        "ts": "2024-01-15T09:30:00Z",
        "f": 0.1,
        "i": 1,
        "s": "x\ny",
        "b": True,
    }
    assert records[3] == records[0]
    assert text.startswith("[\n{") and text.endswith("}\n]\n")


def test_non_finite_floats_become_null() -> None:
    frame = canonical(
        {
            SERIES: ["s"] * 3,
            TS: [datetime(2024, 1, 1, 0, 0, s) for s in range(3)],
            "v": [float("nan"), float("inf"), float("-inf")],
        }
    )
    for writer in (write_jsonl, write_json):
        text = render(writer, [frame])
        lines = text.splitlines()
        records = json.loads(text) if writer is write_json else [json.loads(x) for x in lines]
        assert [r["v"] for r in records] == [None, None, None]


def test_empty_input() -> None:
    assert render(write_json, []) == "[]\n"
    assert json.loads(render(write_json, [])) == []
    assert render(write_jsonl, []) == ""


def test_json_parses_strings_with_newlines_and_commas() -> None:
    frame = canonical({SERIES: ["a\n,b", "c"], TS: [datetime(2024, 1, 1)] * 2, "s": ["}\n{", ","]})
    assert [r["s"] for r in json.loads(render(write_json, [frame]))] == ["}\n{", ","]
