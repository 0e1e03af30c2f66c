"""The caller's datasets: list, create, inspect, delete, history and restore, profile, clean.

Every route reads through ``ServiceDep``, the facade scoped to the signed-in user: another
user's dataset does not exist for it, so it answers 404 like an unknown name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, status
from fastapi import Query as QueryParam
from pydantic import BaseModel, Field

from variosync.api.actions import Actions
from variosync.api.deps import ClientIP, CurrentUser, IdempotencyKey, ServiceDep, ServicesDep
from variosync.api.params import DatasetName, series_ids
from variosync.api.views import DatasetDetail
from variosync.catalog import Dataset
from variosync.catalog.datasets import NAME_RULE
from variosync.model import Kind
from variosync.store import VersionInfo

router = APIRouter(prefix="/datasets", tags=["datasets"])


class NewDataset(BaseModel):
    """An empty dataset to create."""

    name: str = Field(pattern=NAME_RULE.pattern, examples=["sensors"])
    kind: Kind = Kind.GENERIC


class Restore(BaseModel):
    """The version to make current again."""

    version: int = Field(ge=0)


class CleanRequest(BaseModel):
    """A cleaning recipe to apply (or, with ``dry_run``, to preview)."""

    recipe: list[dict[str, Any]] = Field(
        min_length=1,
        description="The steps, as in a recipe file",
        examples=[[{"op": "drop_duplicates"}, {"op": "fill_nulls", "method": "linear"}]],
    )
    series: list[str] = Field(default_factory=list, description="Clean only these series")
    dry_run: bool = Field(False, description="Report what each step would do; write nothing")


@router.get("", summary="List your datasets")
def list_datasets(service: ServiceDep) -> list[Dataset]:
    """Every dataset of the signed-in user, with kind, rows, series, range and version."""
    return service.datasets()


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an empty dataset")
def create_dataset(
    body: NewDataset, service: ServiceDep, shared: ServicesDep, user: CurrentUser, ip: ClientIP
) -> Dataset:
    """A new, empty dataset (409 if you already have one of that name)."""
    return Actions(shared, user, ip).create(body.name, body.kind)


@router.get("/{name}", summary="A dataset's fields, series, range, versions and quality")
def dataset_info(name: DatasetName, service: ServiceDep) -> DatasetDetail:
    """What ``variosync info --json`` shows."""
    found = service.info(name)
    return DatasetDetail.of(found, service.series(name))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a dataset")
def delete_dataset(
    name: DatasetName, service: ServiceDep, shared: ServicesDep, user: CurrentUser, ip: ClientIP
) -> None:
    """Remove the dataset and all its versions."""
    Actions(shared, user, ip).delete(name)


@router.get("/{name}/series", summary="The series ids")
def dataset_series(name: DatasetName, service: ServiceDep) -> list[str]:
    """The dataset's series ids, sorted."""
    return service.series(name)


@router.get("/{name}/history", summary="The versions, newest first")
def dataset_history(name: DatasetName, service: ServiceDep) -> list[VersionInfo]:
    """Each version's time, operation and details (a cleaning's per-step summary)."""
    return service.history(name)


@router.post("/{name}/restore", summary="Make an old version current (as a new version)")
def restore_version(
    name: DatasetName,
    body: Restore,
    service: ServiceDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
) -> Dataset:
    """The dataset after the restore: its new version holds the old version's rows."""
    return Actions(shared, user, ip).restore(name, body.version)


@router.get("/{name}/profile", summary="The quality profile; metered when refreshed")
def dataset_profile(
    name: DatasetName,
    service: ServiceDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
    key: IdempotencyKey,
    series: Annotated[
        list[str] | None, QueryParam(description="Only these series (repeat, or a,b)")
    ] = None,
    refresh: Annotated[
        bool, QueryParam(description="Profile again instead of the stored profile")
    ] = False,
) -> dict[str, Any]:
    """Frequency, gaps, nulls, stuck values, outliers and OHLC rules per series and in total
    (what ``variosync profile --json`` shows). The stored profile is free; profiling again
    reads every row and is metered above VARIOSYNC_METERED_QUERY_ROWS."""
    found = Actions(shared, user, ip).profile(name, series_ids(series), refresh, key)
    return found.to_dict()


@router.post("/{name}/clean", summary="Clean with a recipe (or preview it)")
def clean_dataset(
    name: DatasetName,
    body: CleanRequest,
    service: ServiceDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
    key: IdempotencyKey,
) -> dict[str, Any]:
    """Apply the recipe as one new version (undo with restore); a dry run writes nothing and
    shows a before/after sample. Returns what each step did (``variosync clean --json``).
    Metered (a dry run too: it runs the recipe); a retried apply is refused, never run twice."""
    actions = Actions(shared, user, ip)
    result = actions.clean(name, body.recipe, series_ids(body.series), body.dry_run, key)
    return result.to_dict()
