"""Uploading files into a dataset: the CLI's ``ingest`` over HTTP, metered."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as Described
from starlette.concurrency import run_in_threadpool

from variosync.api.actions import Actions
from variosync.api.deps import ClientIP, CurrentUser, IdempotencyKey, ServiceDep, ServicesDep
from variosync.api.params import DatasetName, split
from variosync.api.uploads import ReceivedForm, receive_form
from variosync.api.views import IngestSummary
from variosync.errors import UsageError, VarioSyncError
from variosync.model import IngestOptions, Kind

router = APIRouter(tags=["data"])


class UploadOptions(BaseModel):
    """The ingest options, as form fields beside the files (those of ``variosync ingest``)."""

    model_config = ConfigDict(extra="forbid")

    time_col: str | None = Described(None, description="Column holding the timestamps")
    time_format: str | None = Described(None, description="strftime format, e.g. %d/%m/%Y %H:%M")
    dayfirst: bool = Described(False, description="Read 01/02/2024 as 1 February")
    tz: str = Described("UTC", description="Time zone of naive timestamps")
    series_col: str | None = Described(None, description="Column naming the series")
    fields: str | None = Described(None, description="Comma-separated fields to keep")
    kind: Kind | None = Described(None, description="Dataset kind (default: detected)")
    sheet: str | None = Described(None, description="Excel sheet to read (default: the first)")
    strict: bool = Described(False, description="Reject the whole upload if any row is rejected")

    def ingest_options(self) -> IngestOptions:
        """As the facade's options."""
        return IngestOptions(
            time_col=self.time_col,
            time_format=self.time_format,
            dayfirst=self.dayfirst,
            tz=self.tz,
            series_col=self.series_col,
            fields=split(self.fields) or None,
            kind=self.kind,
            sheet=self.sheet,
            strict=self.strict,
        )

    @classmethod
    def of(cls, form: ReceivedForm) -> UploadOptions:
        """The options of an upload's form fields; an empty field counts as left out."""
        values: dict[str, str] = {}
        for name, given in form.fields.items():
            if len(given) > 1:
                raise UsageError(f"form field {name!r} was sent {len(given)} times")
            if given[0] != "":
                values[name] = given[0]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # the same 422 (naming the field) as any other parameter FastAPI checks
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            ) from None


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its ``$defs`` references replaced by the definitions."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _form_schema() -> dict[str, Any]:
    options = UploadOptions.model_json_schema()
    files = {"type": "array", "items": {"type": "string", "format": "binary"}}
    return {
        "type": "object",
        "required": ["files"],
        "properties": {"files": files} | _inline(options["properties"], options.get("$defs", {})),
    }


def _scrub(error: VarioSyncError, folder: Path) -> None:
    """Take our temporary folder out of the error's message: a file is named as it was sent."""
    inside = re.compile(re.escape(str(folder)) + r"/\d+/")
    error.message = inside.sub("", error.message)
    error.args = (error.message,)
    if error.hint:
        error.hint = inside.sub("", error.hint)


@router.post(
    "/datasets/{name}/upload",
    summary="Upload files into a dataset (created if new); metered",
    response_description="The ingest summary, with the first rejected rows",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _form_schema()}},
        }
    },
)
async def upload(
    name: DatasetName,
    request: Request,
    service: ServiceDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
    key: IdempotencyKey,
) -> IngestSummary:
    """Ingest one or many files (any format the CLI reads, compressed or not) as one version.

    The body is streamed to disk under the size limit; rows that fail validation are left out
    and reported (with ``strict``, any rejected row fails the whole upload, writing nothing).
    """
    temp = await run_in_threadpool(tempfile.TemporaryDirectory, prefix="variosync-upload-")
    folder = Path(temp.name)
    try:
        form = await receive_form(request, folder, shared.settings.upload_max_bytes)
        options = replace(
            UploadOptions.of(form).ingest_options(),
            max_unpacked_bytes=shared.settings.upload_max_unpacked_bytes,
        )
        if not form.files:
            raise UsageError("the upload holds no file", hint="send each file as field 'files'")
        paths = [f.path for f in form.files]
        size = sum(f.size for f in form.files)
        actions = Actions(shared, user, ip)
        try:
            report = await run_in_threadpool(actions.upload, paths, name, options, key, size)
        except VarioSyncError as error:
            _scrub(error, folder)
            raise
    finally:
        with anyio.CancelScope(shield=True):  # a client that left still gets its files removed
            await run_in_threadpool(temp.cleanup)
    return IngestSummary.of(report, {str(f.path): f.name for f in form.files})
