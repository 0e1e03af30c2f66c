"""``variosync`` command group and the data commands: ingest, query, aggregates, export."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import wraps
from pathlib import Path
from typing import Any

import click
import polars as pl

from variosync import __version__
from variosync.cli import login, manage, quality
from variosync.cli.context import echo_err, echo_json, open_service, reports_errors
from variosync.cli.render import echo_frame, print_frame, print_ingest
from variosync.cli.serve import serve
from variosync.cli.users import users
from variosync.errors import UsageError
from variosync.export import COMPRESSIONS, EXPORT_FORMATS, write_stream
from variosync.model import IngestOptions, Kind
from variosync.query import Agg, Fill
from variosync.selection import Selection, build_query, split

QUERY_FORMATS = ("table", "csv", "json", "jsonl", "parquet")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VARIOSYNC_HOME",
    help="Folder of the embedded catalog and store (default: ~/.variosync).",
)
@click.option(
    "--local",
    is_flag=True,
    envvar="VARIOSYNC_LOCAL",
    help="Work in the home folder even when it is signed in to a server (variosync login).",
)
@click.version_option(__version__, prog_name="variosync")
def cli(home: Path | None, local: bool) -> None:
    """VarioSync: ingest any time-series file, store it as Delta Lake, query and export it.

    After `variosync login URL` the data commands run on that server; --local keeps them here.

    Example: variosync ingest prices.csv --dataset prices
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dataset", "-d", required=True, help="Dataset to write into (created if new).")
@click.option("--time-col", help="Column holding the timestamps (default: detected).")
@click.option("--time-format", help="strftime format of the timestamps, e.g. %d/%m/%Y %H:%M.")
@click.option("--dayfirst", is_flag=True, help="Read 01/02/2024 as 1 February.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of naive timestamps.")
@click.option("--series-col", help="Column naming the series (default: detected, else file name).")
@click.option("--fields", help="Comma-separated fields to keep (default: all).")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), help="Dataset kind.")
@click.option("--sheet", help="Excel sheet to read (default: the first).")
@click.option("--strict", is_flag=True, help="Reject the whole ingest if any row is rejected.")
@quality.recipe_options
@click.option("--json", "as_json", is_flag=True, help="Print the whole summary as JSON.")
@click.pass_context
@reports_errors
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    dataset: str,
    time_col: str | None,
    time_format: str | None,
    dayfirst: bool,
    tz: str,
    series_col: str | None,
    fields: str | None,
    kind: str | None,
    sheet: str | None,
    strict: bool,
    recipe: Path | None,
    ops: tuple[str, ...],
    as_json: bool,
) -> None:
    """Ingest files (CSV, JSON, Parquet, Excel, Stooq, line protocol…, compressed or not).

    Example: variosync ingest sensors.csv.gz more.parquet --dataset sensors --tz Europe/Berlin
    """
    options = IngestOptions(
        time_col=time_col,
        time_format=time_format,
        dayfirst=dayfirst,
        tz=tz,
        series_col=series_col,
        fields=split(fields) or None,
        kind=Kind(kind) if kind else None,
        sheet=sheet,
        strict=strict,
    )
    cleaning = quality.build_recipe(recipe, ops)
    report = open_service(ctx).ingest(list(paths), dataset, options, cleaning)
    if as_json:
        echo_json(asdict(report))
    else:
        print_ingest(report)


_SELECTION_OPTIONS = (
    click.option("--series", "-s", multiple=True, help="Series to keep (repeat or a,b)."),
    click.option("--start", help="First time (inclusive), ISO 8601."),
    click.option("--end", help="Last time (exclusive), ISO 8601."),
    click.option("--fields", help="Comma-separated fields (default: all)."),
    click.option("--every", help="Resample to buckets: 1m, 15m, 1h, 1d, 1w, 1mo."),
    click.option("--agg", help="Aggregates with --every: " + ",".join(a.value for a in Agg)),
    click.option("--fill", type=click.Choice([f.value for f in Fill]), help="Fill empty buckets."),
    click.option("--latest", is_flag=True, help="Only the latest point of each series."),
    click.option("--limit", type=click.IntRange(min=0), help="At most this many rows."),
    click.option("--as-of", type=click.IntRange(min=0), help="Read an old version."),
    click.option(
        "--tz", help="Show times in this zone, e.g. Europe/Berlin (default: the dataset's)."
    ),
)
_QUERY_PARAMS = (
    "series", "start", "end", "fields", "every", "agg", "fill", "latest", "limit", "tz"
)  # fmt: skip


def query_options(func: Callable[..., None]) -> Callable[..., None]:
    """Add the selection options shared by query and export; the command gets ``selection``."""

    @wraps(func)
    @reports_errors
    def wrapper(**kwargs: Any) -> None:
        spec = build_query(**{name: kwargs.pop(name) for name in _QUERY_PARAMS})
        func(selection=Selection(spec, kwargs.pop("as_of")), **kwargs)

    command: Callable[..., None] = wrapper
    for option in reversed(_SELECTION_OPTIONS):
        command = option(command)
    return command


TABLE_ROWS = 40


@cli.command()
@click.argument("name")
@query_options
@click.option(
    "--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.pass_context
@reports_errors
def query(
    ctx: click.Context, name: str, selection: Selection, fmt: str, output: Path | None
) -> None:
    """Read points: filter by series and time, resample, aggregate, fill.

    Example: variosync query prices --series AAPL --every 1d --agg first,max,min,last --format csv
    """
    service = open_service(ctx)
    spec, as_of = selection.query, selection.as_of
    if output is not None:
        file_fmt = None if fmt == "table" else fmt
        wrote(service.export(name, output, file_fmt, None, spec, as_of), output)
        return
    if fmt == "table":
        # one row more than shown tells whether to say so (a server sends no more than that)
        shown = spec if spec.limit is not None else replace(spec, limit=TABLE_ROWS + 1)
        _print_head(service.query_lazy(name, shown, as_of), spec.limit or TABLE_ROWS)
        return
    if fmt == "parquet" and sys.stdout.isatty():
        raise UsageError("parquet is binary", hint="use --output FILE.parquet or a pipe")
    write_stream(service.stream(name, spec, as_of), sys.stdout.buffer, fmt)
    sys.stdout.buffer.flush()


def _print_head(frame: pl.LazyFrame, rows: int) -> None:
    """Print the first ``rows`` rows as a table; one more row is read to tell whether to say so."""
    head = frame.head(rows + 1).collect()
    print_frame(head.head(rows))
    if head.height > rows:
        echo_err(f"(first {rows} rows; use --limit N or --format csv for all)")


@cli.command()
@click.argument("name")
@click.option("--every", default="1h", show_default=True, help="Bucket width: 15m, 1h, 1d…")
@click.option("--as-of", type=click.IntRange(min=0), help="Read an old version.")
@click.option(
    "--format", "fmt", type=click.Choice(QUERY_FORMATS[:4]), default="table", show_default=True
)
@click.pass_context
@reports_errors
def aggregates(ctx: click.Context, name: str, every: str, as_of: int | None, fmt: str) -> None:
    """Points and distinct series per time bucket.

    Example: variosync aggregates sensors --every 1h
    """
    frame = open_service(ctx).aggregates(name, every, as_of)
    if fmt == "table":
        print_frame(frame)
    else:
        echo_frame(frame, fmt)


@cli.command()
@click.argument("name")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(EXPORT_FORMATS)),
    help="File format (default: from OUTPUT's extension).",
)
@click.option(
    "--compression",
    type=click.Choice(list(COMPRESSIONS)),
    help="Compression (default: from OUTPUT's extension).",
)
@query_options
@click.pass_context
@reports_errors
def export(
    ctx: click.Context,
    name: str,
    output: Path,
    fmt: str | None,
    compression: str | None,
    selection: Selection,
) -> None:
    """Write a dataset (or a selection of it) to a file in any supported format.

    Example: variosync export prices prices.csv.gz
    """
    service = open_service(ctx)
    wrote(service.export(name, output, fmt, compression, selection.query, selection.as_of), output)


def wrote(rows: int | None, output: Path) -> None:
    """Say what an export wrote (a server's download may not tell its rows)."""
    if rows is None:
        echo_err(f"wrote {output} ({output.stat().st_size} bytes)")
    else:
        echo_err(f"wrote {rows} rows to {output}")


manage.register(cli)
quality.register(cli)
login.register(cli)
cli.add_command(serve)
cli.add_command(users)


def main() -> None:
    """Console-script entry point."""
    pl.Config.set_tbl_hide_dataframe_shape(True)
    cli(prog_name="variosync")
