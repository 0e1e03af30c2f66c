"""Data-quality commands: profile a dataset, clean it with a recipe (or preview the cleaning)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from variosync.clean.spec import OPERATIONS
from variosync.cli.context import echo_err, echo_json, json_option, open_service, reports_errors
from variosync.cli.render import print_frame
from variosync.errors import UsageError

if TYPE_CHECKING:
    from variosync.clean.recipe import Recipe
    from variosync.cleaning import CleanResult


def recipe_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--recipe FILE`` and repeatable ``--op``, shared by clean and ingest."""
    func = click.option(
        "--op",
        "ops",
        multiple=True,
        metavar="'NAME key=value…'",
        help=f"One cleaning step (repeatable, after the recipe's). Operations: "
        f"{', '.join(OPERATIONS)}.",
    )(func)
    return click.option(
        "--recipe",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Cleaning recipe: a JSON or YAML list of steps.",
    )(func)


def build_recipe(recipe: Path | None, ops: tuple[str, ...]) -> Recipe | None:
    """The recipe from ``--recipe`` and ``--op`` (file steps first), or None if neither."""
    if recipe is None and not ops:
        return None
    from variosync.clean.recipe import Recipe, recipe_from_ops
    from variosync.cleaning import as_recipe

    steps = as_recipe(recipe).steps if recipe else ()
    if ops:
        try:
            steps += recipe_from_ops(ops).steps
        except UsageError as exc:
            raise UsageError(exc.message.replace("recipe step", "--op"), hint=exc.hint) from None
    return Recipe(steps)


@click.command()
@click.argument("name")
@recipe_options
@click.option("--series", "-s", multiple=True, help="Clean only these series (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what each step would do; write nothing.")
@json_option
@click.pass_context
@reports_errors
def clean(
    ctx: click.Context,
    name: str,
    recipe: Path | None,
    ops: tuple[str, ...],
    series: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Clean a dataset with a recipe, as one new version (undo it with restore).

    Example: variosync clean sensors --op 'fill_nulls method=time max_gap=3' --dry-run
    """
    built = build_recipe(recipe, ops)
    if built is None:
        raise UsageError("give a --recipe file or at least one --op", hint=_example())
    names = tuple(s for item in series for s in item.split(",") if s)
    result = open_service(ctx).clean(name, built, names, dry_run=dry_run)
    if as_json:
        echo_json(result.to_dict())
        return
    print_clean(result)


def _example() -> str:
    return "e.g. --op drop_duplicates --op 'outliers method=zscore action=remove'"


def print_clean(result: CleanResult) -> None:
    """Each step's effect, the row totals, then (for a dry run) the before/after sample."""
    mode = "dry run, nothing written" if result.dry_run else f"version {result.version}"
    click.echo(f"{result.dataset}: {len(result.steps)} step(s) on {result.series} series ({mode})")
    width = max((len(s.description) for s in result.steps), default=0)
    for step in result.steps:
        click.echo(f"  {step.step:>2}. {step.description:<{width}}  {step.summary()}")
    click.echo(f"rows {result.rows_before:,} -> {result.rows_after:,}")
    if result.duplicate_keys:
        echo_err(
            f"warning: {result.duplicate_keys:,} timestamp(s) would be held by more than one "
            "row; applying fails until a drop_duplicates or resample step follows"
        )
    if result.dry_run and not result.before.is_empty():
        click.echo("before:")
        print_frame(result.before)
        click.echo("after:")
        print_frame(result.after)
    elif not result.dry_run and result.version:
        echo_err(f"undo with: variosync restore {result.dataset} {result.version - 1}")


@click.command()
@click.argument("name")
@click.option("--series", "-s", multiple=True, help="Show only these series (repeatable).")
@click.option("--refresh", is_flag=True, help="Profile again instead of showing the stored one.")
@json_option
@click.pass_context
@reports_errors
def profile(
    ctx: click.Context, name: str, series: tuple[str, ...], refresh: bool, as_json: bool
) -> None:
    """Profile a dataset's quality: frequency, gaps, nulls, stuck values, outliers, OHLC rules.

    Example: variosync profile sensors --series s1
    """
    names = [s for item in series for s in item.split(",") if s]
    found = open_service(ctx).profile(name, series=names, refresh=refresh)
    if as_json:
        echo_json(found.to_dict())
        return
    from variosync.cli.profile_view import render_profile

    click.echo(render_profile(found, names or None))


def register(group: click.Group) -> None:
    """Add the quality commands to the top-level group."""
    for command in (profile, clean):
        group.add_command(command)
