"""Line protocol: escaping, value types, omitted nulls, skipped rows, nanosecond timestamps."""

from __future__ import annotations

import io
from datetime import datetime

import polars as pl
import pytest

from variosync.errors import UsageError
from variosync.export.lineprotocol import escape_name, write_lineprotocol
from variosync.model import SERIES, TS

from .conftest import canonical


def render(batches: list[pl.DataFrame]) -> tuple[str, int]:
    out = io.BytesIO()
    rows = write_lineprotocol(batches, out)
    return out.getvalue().decode(), rows


def test_exact_lines(sample: pl.DataFrame) -> None:
    text, rows = render([sample])
    assert rows == 3
    assert text.split("\n") == [
        'a\\,b\\ "q" f=0.1,i=1i,s="x',
        'y",b=true 1705311000000000000',
        'Zürich-温度 f=1e+300,s="" -2208988799877000000',
        "x\\ y=z i=-5i,b=false -499999000",
        "",
    ]


def test_string_values_escape_quotes_and_backslashes() -> None:
    frame = canonical({SERIES: ["m\\x"], TS: [datetime(1970, 1, 1)], "s": ['say "hi" \\ bye']})
    assert render([frame])[0] == 'm\\x s="say \\"hi\\" \\\\ bye" 0\n'


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("plain", "plain"),
        ("a b", "a\\ b"),
        ("a,b", "a\\,b"),
        ("a=b", "a\\=b"),
        ("C:\\data", "C:\\data"),
        ("a\\\\b", "a\\\\\\b"),
        ("a\\,b", "a\\\\\\,b"),
        ("end\\", "end\\\\"),
    ],
)
def test_field_keys_are_escaped(name: str, escaped: str) -> None:
    assert escape_name(name) == escaped
    frame = canonical({SERIES: ["m"], TS: [datetime(1970, 1, 1)], name: [1.5]})
    assert render([frame])[0] == f"m {escaped}=1.5 0\n"


def test_measurement_escapes_commas_and_spaces_not_equals() -> None:
    frame = canonical({SERIES: ["a=b c,d\\"], TS: [datetime(1970, 1, 1)], "v": [True]})
    assert render([frame])[0] == "a=b\\ c\\,d\\\\ v=true 0\n"


def test_floats_keep_full_precision() -> None:
    values = [0.1, 1 / 3, 2.0, -0.0, 1e-7, 123456789.123456789]
    frame = canonical(
        {SERIES: ["m"] * 6, TS: [datetime(2024, 1, 1, 0, 0, s) for s in range(6)], "v": values}
    )
    text, _ = render([frame])
    parsed = [float(line.split(" ")[1].removeprefix("v=")) for line in text.splitlines()]
    assert parsed == values


def test_all_null_rows_are_skipped_and_not_counted() -> None:
    frame = canonical(
        {
            SERIES: ["m", "m", "m"],
            TS: [datetime(2024, 1, 1, 0, 0, s) for s in range(3)],
            "v": [1.0, None, float("nan")],
            "n": [None, None, None],
        },
        {SERIES: pl.String(), TS: pl.Datetime("us"), "v": pl.Float64(), "n": pl.Int64()},
    )
    text, rows = render([frame])
    assert rows == 1
    assert text == "m v=1.0 1704067200000000000\n"


def test_frame_without_fields_writes_nothing() -> None:
    frame = canonical({SERIES: ["m"], TS: [datetime(2024, 1, 1)]})
    assert render([frame]) == ("", 0)
    assert render([]) == ("", 0)


def test_out_of_range_timestamps_are_refused() -> None:
    frame = canonical({SERIES: ["m"], TS: [datetime(1600, 1, 1)], "v": [1]})
    with pytest.raises(UsageError, match="1677"):
        render([frame])


def test_line_breaks_in_series_ids_are_refused() -> None:
    frame = canonical({SERIES: ["a\nb"], TS: [datetime(2024, 1, 1)], "v": [1]})
    with pytest.raises(UsageError, match="line break"):
        render([frame])


def test_series_ids_starting_with_a_hash_are_refused() -> None:
    frame = canonical({SERIES: ["#tag"], TS: [datetime(2024, 1, 1)], "v": [1]})
    with pytest.raises(UsageError, match="'#'"):
        render([frame])
