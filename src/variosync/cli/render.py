"""Human-readable output: tables and ingest summaries."""

from __future__ import annotations

from datetime import datetime

import click
import polars as pl

from variosync.catalog import Dataset
from variosync.export.batches import iso_format
from variosync.ingest import IngestReport, describe_reject


def _iso(frame: pl.DataFrame) -> pl.DataFrame:
    stamps = {n: t for n, t in frame.schema.items() if isinstance(t, pl.Datetime)}
    return frame.with_columns(
        pl.col(n).dt.strftime(iso_format(t)).str.replace(r"\.0+(Z|[+-]\d\d:\d\d)$", "$1")
        for n, t in stamps.items()
    )


def print_frame(frame: pl.DataFrame, max_rows: int = 40) -> None:
    """Print a frame as a table (times in ISO 8601 UTC); long frames show head and tail."""
    with pl.Config(
        tbl_rows=max_rows,
        tbl_cols=-1,
        tbl_width_chars=200,
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        fmt_str_lengths=60,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        click.echo(_iso(frame) if frame.width else "(no columns)")
    if frame.height > max_rows:
        click.echo(f"({frame.height} rows)", err=True)


def echo_frame(frame: pl.DataFrame, fmt: str) -> None:
    """Print a small frame that is not a dataset (no ``series_id``) as csv, json or jsonl."""
    frame = _iso(frame)
    if fmt == "csv":
        text = frame.write_csv()
    elif fmt == "json":
        text = frame.write_json() + "\n"
    else:
        text = frame.write_ndjson()
    click.echo(text, nl=False)


def iso_time(value: datetime | None) -> str:
    """A time as ISO 8601 UTC text (``-`` for none)."""
    return "-" if value is None else value.isoformat().replace("+00:00", "Z")


def print_ingest(report: IngestReport) -> None:
    """The ingest summary: rows, series, range, version, then the first rejects."""
    click.echo(
        f"{report.dataset}: wrote {report.rows_written} rows "
        f"({report.inserted} new, {report.updated} replaced) from {report.rows_read} read "
        f"in {len(report.files)} file(s); {report.series} series, "
        f"{iso_time(report.start)} .. {iso_time(report.end)}; version {report.version}"
    )
    if report.duplicates:
        click.echo(
            f"{report.duplicates} row(s) repeated a series and time of the same input; "
            "the last of each was kept",
            err=True,
        )
    if report.out_of_order:
        click.echo(
            f"{report.out_of_order} row(s) came earlier than the row before them in their "
            "series; they were put in time order",
            err=True,
        )
    for step in report.cleaning:
        click.echo(f"clean {step.step}. {step.description}: {step.summary()}", err=True)
    if report.rejected:
        click.echo(f"rejected {report.rejected} row(s); first ones:", err=True)
        for reject in report.rejects_sample[:10]:
            click.echo(f"  {describe_reject(reject)}", err=True)


def datasets_frame(datasets: list[Dataset]) -> pl.DataFrame:
    """The datasets listing as a frame."""
    return pl.DataFrame(
        {
            "name": [d.name for d in datasets],
            "kind": [d.kind for d in datasets],
            "rows": [d.row_count for d in datasets],
            "series": [d.series_count for d in datasets],
            "start": [d.start for d in datasets],
            "end": [d.end for d in datasets],
            "version": [d.version for d in datasets],
        },
        schema_overrides={"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")},
    )
