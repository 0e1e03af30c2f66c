"""``RemoteService``: the facade methods the CLI's commands call, answered by a VarioSync server
over its REST API, with the types the local facade returns.

While a home folder is signed in (``variosync login``, see ``credentials``) and neither
``--local`` nor ``VARIOSYNC_LOCAL=1`` is given, the data commands run on this client.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import polars as pl

from variosync import __version__, errors
from variosync.catalog import Dataset
from variosync.cli import wire
from variosync.cli.credentials import API_PREFIX, Credentials
from variosync.errors import CLI_USER_AGENT, StorageError, UsageError, VarioSyncError
from variosync.export import resolve_format
from variosync.ingest import IngestReport
from variosync.model import IngestOptions
from variosync.query import Query
from variosync.service import DatasetInfo
from variosync.store import VersionInfo

if TYPE_CHECKING:
    from variosync.clean.recipe import Recipe
    from variosync.cleaning import CleanResult
    from variosync.quality import DatasetProfile

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""Ordinary calls: 10 s to connect, then at most 120 s of silence."""
LONG_TIMEOUT = httpx.Timeout(3600.0, connect=10.0)
"""Uploads, queries, exports and cleaning: the server may work long before it answers."""


_BY_CODE: dict[str, type[VarioSyncError]] = {}
_BY_STATUS: dict[int, type[VarioSyncError]] = {}


def _error_classes() -> None:
    """Index the exception tree by code and by HTTP status (the most general class wins)."""
    pending: list[type[VarioSyncError]] = [VarioSyncError]
    while pending:
        cls = pending.pop(0)
        _BY_CODE.setdefault(cls.code, cls)
        _BY_STATUS.setdefault(cls.http_status, cls)
        pending += cls.__subclasses__()


def raise_for_error(response: httpx.Response, url: str, stored: bool = False) -> None:
    """Raise the error class a failed response stands for, with the server's message and hint
    (a refused ``stored`` key — the home's — gets the hint to sign in again)."""
    if response.is_success:
        return
    response.read()
    try:
        body = response.json()["error"]
        code, message, hint = str(body["code"]), str(body["message"]), body.get("hint")
    except (ValueError, KeyError, TypeError):
        body, code = {}, ""
        message, hint = f"the server at {url} answered {response.status_code}", None
    if not _BY_CODE:
        _error_classes()
    cls = _BY_CODE.get(code) or _BY_STATUS.get(response.status_code, VarioSyncError)
    if cls is errors.AuthError and stored:
        hint = f"sign in again: variosync login {url} (or work locally with --local)"
    if cls is errors.PaymentRequiredError:
        raise errors.PaymentRequiredError(
            message,
            balance_hours=float(body.get("balance_hours") or 0),
            cost_hours=float(body.get("cost_hours") or 0),
            hint=hint,
        )
    if cls is errors.RateLimitedError:
        after = response.headers.get("retry-after", "")
        raise errors.RateLimitedError(
            message, retry_after_s=int(after) if after.isdigit() else 1, hint=hint
        )
    raise cls(message, hint=hint)


class RemoteService:
    """The facade's methods the CLI uses, answered by a server (same return types)."""

    def __init__(
        self,
        credentials: Credentials,
        transport: httpx.BaseTransport | None = None,
        *,
        stored: bool = True,
    ) -> None:
        self.credentials = credentials
        self.url = credentials.url
        self.stored = stored
        """Whether the credentials are the home's (not a login in progress)."""
        self._series: dict[str, list[str]] = {}
        # the server words its errors for the command line when it sees this agent
        headers = {"User-Agent": f"{CLI_USER_AGENT}{__version__}"}
        if credentials.api_key:
            headers["Authorization"] = f"Bearer {credentials.api_key}"
        self._http = httpx.Client(
            base_url=self.url + API_PREFIX, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """Transport failures as one clear error naming the server."""
        try:
            yield
        except httpx.TimeoutException:
            raise StorageError(
                f"the server at {self.url} did not answer in time",
                hint="try again later, or work locally with --local",
            ) from None
        except httpx.TransportError as exc:
            raise StorageError(
                f"cannot reach the server at {self.url}: {exc or type(exc).__name__}",
                hint="check that it is running, or work locally with --local "
                "(variosync logout forgets the server)",
            ) from None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the decoded JSON body (None for an empty one), or the mapped error."""
        with self._reaching():
            response = self._http.request(method, path, **kwargs)
        raise_for_error(response, self.url, self.stored)
        return response.json() if response.content else None

    @contextmanager
    def _download(self, path: str, params: Any) -> Iterator[Iterator[bytes]]:
        """A streamed GET: its body in chunks (errors raised before the first chunk)."""
        stream = self._http.stream("GET", path, params=params, timeout=LONG_TIMEOUT)
        with self._reaching(), stream as response:
            raise_for_error(response, self.url, self.stored)
            yield self._chunks(response)

    def _chunks(self, response: httpx.Response) -> Iterator[bytes]:
        with self._reaching():
            yield from response.iter_bytes()

    # -- datasets -------------------------------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """All of the account's datasets."""
        return [wire.dataset(d) for d in wire.items(self.call("GET", "/datasets"))]

    def info(self, name: str) -> DatasetInfo:
        """A dataset's entry, version count and quality summary."""
        found = self.call("GET", f"/datasets/{_seg(name)}")
        if isinstance(found.get("series"), list):  # the detail lists them: series() need not ask
            self._series[name] = [str(s) for s in found["series"]]
        return wire.dataset_info(found)

    def series(self, name: str) -> list[str]:
        """The series ids of a dataset."""
        if name in self._series:
            return self._series[name]
        return [str(s) for s in wire.items(self.call("GET", f"/datasets/{_seg(name)}/series"))]

    def delete(self, name: str) -> None:
        """Delete a dataset and its data on the server."""
        self.call("DELETE", f"/datasets/{_seg(name)}")

    def history(self, name: str) -> list[VersionInfo]:
        """The dataset's versions, newest first."""
        found = self.call("GET", f"/datasets/{_seg(name)}/history")
        return [wire.version(v) for v in wire.items(found)]

    def restore(self, name: str, version: int) -> Dataset:
        """Make an old version current again (as a new version)."""
        found = self.call("POST", f"/datasets/{_seg(name)}/restore", json={"version": version})
        return wire.dataset(found)

    # -- quality --------------------------------------------------------------------------------

    def profile(
        self, name: str, *, series: Sequence[str] = (), refresh: bool = False
    ) -> DatasetProfile:
        """The dataset's quality profile (of some series)."""
        params: list[tuple[str, str]] = [("series", s) for s in series]
        if refresh:
            params.append(("refresh", "true"))
        found = self.call("GET", f"/datasets/{_seg(name)}/profile", params=params)
        return wire.profile(found)

    def clean(
        self, name: str, recipe: Recipe, series: Sequence[str] = (), dry_run: bool = False
    ) -> CleanResult:
        """Apply (or preview) a recipe on the server."""
        body = {"recipe": recipe.to_list(), "series": list(series), "dry_run": dry_run}
        found = self.call("POST", f"/datasets/{_seg(name)}/clean", json=body, timeout=LONG_TIMEOUT)
        return wire.clean_result(found, recipe)

    # -- data -----------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path],
        dataset: str,
        options: IngestOptions | None = None,
        recipe: Recipe | None = None,
    ) -> IngestReport:
        """Upload files into ``dataset`` (created if new) as one ingest."""
        if recipe is not None:
            raise UsageError(
                "cleaning on the way in (--recipe, --op) is not available on a server",
                hint=f"ingest first, then: variosync clean {dataset} --op …",
            )
        files = [Path(p) for p in paths]
        wire.check_files(files)
        with ExitStack() as stack:
            parts = [
                ("files", (f.name, stack.enter_context(f.open("rb")), "application/octet-stream"))
                for f in files
            ]
            found = self.call(
                "POST",
                f"/datasets/{_seg(dataset)}/upload",
                data=wire.ingest_form(options or IngestOptions()),
                files=parts,
                headers={"Idempotency-Key": secrets.token_hex(16)},
                timeout=LONG_TIMEOUT,
            )
        return wire.ingest_report(found, files)

    def stream(
        self, name: str, query: Query | None = None, as_of: int | None = None
    ) -> Iterator[pl.DataFrame]:
        """The query's rows in batches, read from the server's Arrow IPC stream."""
        params = [*wire.query_params(query, as_of), ("format", "arrow")]
        with self._download(f"/datasets/{_seg(name)}/query", params) as chunks:
            yield from wire.arrow_batches(chunks, self.url)

    def query_lazy(self, name: str, query: Query, as_of: int | None = None) -> pl.LazyFrame:
        """The query's rows (collected from the server) as a lazy frame."""
        return pl.concat(list(self.stream(name, query, as_of)), how="vertical").lazy()

    def query(
        self, name: str, query: Query | None = None, as_of: int | None = None
    ) -> pl.DataFrame:
        """Run a query on the server and collect the result."""
        return self.query_lazy(name, query or Query(), as_of).collect()

    def aggregates(self, name: str, every: str = "1h", as_of: int | None = None) -> pl.DataFrame:
        """Points and distinct series per time bucket."""
        params: dict[str, str | int] = {"every": every}
        if as_of is not None:
            params["as_of"] = as_of
        return wire.aggregates(
            self.call("GET", f"/datasets/{_seg(name)}/aggregates", params=params)
        )

    def export(
        self,
        name: str,
        output: str | Path,
        fmt: str | None = None,
        compression: str | None = None,
        query: Query | None = None,
        as_of: int | None = None,
    ) -> int | None:
        """Download the server's export into ``output`` (never left half-written)."""
        path = Path(output)
        fmt, compression = resolve_format(path, fmt, compression)
        params = [*wire.query_params(query, as_of), ("format", fmt)]
        params.append(("compression", compression or "none"))
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
        try:  # the file is opened first: a folder that is not there fails before any charge
            with (
                temp.open("xb") as sink,
                self._download(f"/datasets/{_seg(name)}/export", params) as chunks,
            ):
                for chunk in chunks:
                    sink.write(chunk)
            temp.replace(path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise UsageError(
                f"cannot write {path}: {exc.strerror or exc}",
                hint="check that the folder exists and is writable",
            ) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return None  # the download does not say how many rows it holds


def _seg(name: str) -> str:
    """A dataset name as one path segment (names are validated, but never trusted)."""
    return quote(name, safe="") or "_"
