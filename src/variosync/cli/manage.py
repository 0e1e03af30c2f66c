"""Dataset management commands: datasets, info, delete, history, restore, optimize, db, demo."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from importlib import resources
from pathlib import Path

import click

from variosync.catalog import make_engine, upgrade
from variosync.cli.context import (
    echo_err,
    echo_json,
    json_option,
    load_settings,
    open_local,
    open_service,
    reports_errors,
)
from variosync.cli.render import datasets_frame, iso_time, print_frame, print_ingest
from variosync.model import IngestOptions
from variosync.service import Variosync
from variosync.settings import Settings


@click.command()
@json_option
@click.pass_context
@reports_errors
def datasets(ctx: click.Context, as_json: bool) -> None:
    """List datasets with their kind, rows, series, range and version.

    Example: variosync datasets
    """
    items = open_service(ctx).datasets()
    if as_json:
        echo_json([asdict(d) for d in items])
    elif not items:
        echo_err("no datasets yet; try: variosync ingest FILE --dataset NAME")
    else:
        print_frame(datasets_frame(items))


@click.command()
@click.argument("name")
@json_option
@click.pass_context
@reports_errors
def info(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a dataset's fields, units, series, time range, rows, versions and size.

    Example: variosync info prices
    """
    service = open_service(ctx)
    found = service.info(name)
    d = found.dataset
    series = service.series(name)
    if as_json:
        payload = asdict(d) | {"versions": found.versions, "series": series}
        if found.profile is not None:  # the summary; `profile --json` has every series
            payload["quality"] = {k: v for k, v in found.profile.to_dict().items() if k != "series"}
        echo_json(payload)
        return
    lines = [
        f"dataset   {d.name} ({d.kind})",
        f"rows      {d.row_count}",
        f"series    {d.series_count}: {', '.join(series[:10])}{' …' if len(series) > 10 else ''}",
        f"range     {iso_time(d.start)} .. {iso_time(d.end)}",
        f"version   {d.version} ({found.versions} versions)",
        f"size      {d.size_bytes} bytes",
    ]
    if found.profile is not None:
        from variosync.cli.profile_view import quality_line

        lines.append(f"quality   {quality_line(found.profile)}")
    lines.append("fields")
    lines += [f"  {f.name:<20} {f.dtype:<12} {f.unit or ''}".rstrip() for f in d.fields]
    click.echo("\n".join(lines))


@click.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@reports_errors
def delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete a dataset and all its versions.

    Example: variosync delete old-prices --yes
    """
    service = open_service(ctx)
    if isinstance(service, Variosync):
        service.catalog.get(name)
    else:
        service.info(name)  # the same NotFoundError, from the server
    if not yes:
        click.confirm(f"Delete dataset {name!r} and all its versions?", abort=True, err=True)
    service.delete(name)
    echo_err(f"deleted {name}")


@click.command()
@click.argument("name")
@json_option
@click.pass_context
@reports_errors
def history(ctx: click.Context, name: str, as_json: bool) -> None:
    """List a dataset's versions: time, operation and rows.

    Example: variosync history prices
    """
    versions = open_service(ctx).history(name)
    if as_json:
        echo_json([asdict(v) for v in versions])
        return
    for v in versions:
        details = " ".join(f"{k}={val}" for k, val in sorted(v.metadata.items()))
        stamp = v.timestamp.isoformat(timespec="seconds").replace("+00:00", "Z")
        click.echo(f"{v.version:>5}  {stamp}  {v.operation:<9} {details}".rstrip())


@click.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=0))
@click.pass_context
@reports_errors
def restore(ctx: click.Context, name: str, version: int) -> None:
    """Make an old version current again (recorded as a new version).

    Example: variosync restore prices 3
    """
    d = open_service(ctx).restore(name, version)
    echo_err(f"{name}: restored version {version} as version {d.version} ({d.row_count} rows)")


@click.command()
@click.argument("name")
@click.pass_context
@reports_errors
def optimize(ctx: click.Context, name: str) -> None:
    """Compact small files and checkpoint the transaction log (local datasets only).

    Example: variosync optimize prices
    """
    metrics = open_local(ctx, "optimize").optimize(name)
    echo_err(
        f"{name}: {metrics.get('numFilesRemoved', 0)} files compacted into "
        f"{metrics.get('numFilesAdded', 0)}; version {metrics['version']}"
    )


@click.group()
def db() -> None:
    """Catalog database maintenance.

    Example: DATABASE_URL=postgresql://localhost/variosync variosync db upgrade
    """


@db.command("upgrade")
@click.pass_context
@reports_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending catalog migrations.

    Example: variosync db upgrade
    """
    settings = load_settings(ctx)
    if settings.database_url is None:
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.catalog_url)
    try:
        echo_err(f"catalog at revision {upgrade(engine)}")
    finally:
        engine.dispose()


SAMPLES = (
    ("sensors.csv", "sensors"),
    ("financial_sample.json", "stocks"),
    ("sample_data.json", "reference"),
)


@click.command()
@click.pass_context
@reports_errors
def demo(ctx: click.Context) -> None:
    """Ingest the bundled sample files into a fresh home; print a summary, a quality line and
    hourly aggregates.

    Example: variosync demo
    """
    home = ctx.find_root().params.get("home") or Path(tempfile.mkdtemp(prefix="variosync-demo-"))
    echo_err(f"home: {home}")
    samples = resources.files("variosync") / "samples"
    with Variosync(Settings(home=home)) as service:
        for filename, dataset in SAMPLES:
            with resources.as_file(samples / filename) as path:
                print_ingest(service.ingest([path], dataset, IngestOptions()))
        click.echo("\ndatasets")
        print_frame(datasets_frame(service.datasets()))
        from variosync.cli.profile_view import quality_line

        click.echo("\nquality of 'sensors' (variosync profile sensors has the details)")
        click.echo(quality_line(service.profile("sensors")))
        click.echo("\nhourly aggregates of 'sensors'")
        print_frame(service.aggregates("sensors", "1h"))
        click.echo("\nhourly mean temperature per sensor")
        from variosync.query import Agg, Query

        print_frame(
            service.query("sensors", Query(fields=("temperature",), every="1h", aggs=(Agg.MEAN,)))
        )


def register(group: click.Group) -> None:
    """Add the management commands to the top-level group."""
    for command in (datasets, info, delete, history, restore, optimize, db, demo):
        group.add_command(command)
