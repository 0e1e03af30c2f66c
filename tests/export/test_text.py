"""CSV and TSV: header, ISO timestamps, quoting, empty cells for nulls, exact floats."""

from __future__ import annotations

import io
import math
import struct
from datetime import datetime

import polars as pl

from variosync.export.text import write_csv, write_tsv
from variosync.model import SERIES, TS, TS_DTYPE

from .conftest import canonical

UTC_DAY = datetime(2024, 1, 15)


def render(writer: object, batches: list[pl.DataFrame]) -> str:
    out = io.BytesIO()
    writer(batches, out)  # type: ignore[operator]
    return out.getvalue().decode()


def test_csv_exact_bytes(sample: pl.DataFrame) -> None:
    assert render(write_csv, [sample]) == (
        "series_id,ts,f,i,s,b\n"
        '"a,b ""q""",2024-01-15T09:30:00Z,0.1,1,"x\ny",true\n'
        'Zürich-温度,1900-01-01T00:00:00.123Z,1e+300,,"",\n'
        "x y=z,1969-12-31T23:59:59.500001Z,,-5,,false\n"
    )


def test_tsv_quotes_tabs_only_where_needed(sample: pl.DataFrame) -> None:
    frame = sample.with_columns(pl.Series(SERIES, ["a\tb", "c,d", "e"]))
    lines = render(write_tsv, [frame]).split("\n")
    assert lines[0] == "series_id\tts\tf\ti\ts\tb"
    assert lines[1].startswith('"a\tb"\t2024-01-15T09:30:00Z\t0.1\t1\t"x')
    assert lines[3].startswith('c,d\t1900-01-01T00:00:00.123Z\t1e+300\t\t""\t')


def test_header_written_once_across_batches(sample: pl.DataFrame) -> None:
    text = render(write_csv, [sample, sample.clear(), sample])
    assert text.count("series_id,ts") == 1
    assert len(pl.read_csv(io.StringIO(text))) == 6


def test_empty_input_is_a_header() -> None:
    assert render(write_csv, []) == "series_id,ts\n"
    assert render(write_tsv, []) == "series_id\tts\n"


def test_empty_batch_keeps_its_field_header(sample: pl.DataFrame) -> None:
    assert render(write_csv, [sample.clear()]) == "series_id,ts,f,i,s,b\n"


def test_floats_round_trip_exactly() -> None:
    raw = [struct.unpack("<d", bytes((i * 37 + k) % 256 for k in range(8)))[0] for i in range(500)]
    values = [v for v in raw if math.isfinite(v)] + [0.1, -0.0, 5e-324, 1.7976931348623157e308]
    frame = canonical({SERIES: ["s"] * len(values), TS: [UTC_DAY] * len(values), "v": values})
    text = render(write_csv, [frame])
    cells = [line.rsplit(",", 1)[1] for line in text.splitlines()[1:]]
    assert [float(c) for c in cells] == values
    assert [math.copysign(1, float(c)) for c in cells] == [math.copysign(1, v) for v in values]


def test_naive_or_millisecond_ts_is_cast_to_canonical() -> None:
    frame = pl.DataFrame({SERIES: ["s"], TS: [UTC_DAY]}).with_columns(
        pl.col(TS).cast(pl.Datetime("ms"))
    )
    assert frame.schema[TS] != TS_DTYPE
    assert render(write_csv, [frame]) == "series_id,ts\ns,2024-01-15T00:00:00Z\n"
