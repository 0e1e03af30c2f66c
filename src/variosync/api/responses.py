"""Streaming a writer's bytes as a response: query results (json, jsonl, csv, parquet, Arrow IPC
stream) and export downloads, in bounded memory.

The export writers push bytes into a file object; a response pulls chunks. A ``Pipe`` joins the
two: the writer runs in its own thread and blocks once a few chunks wait unsent, the response
iterates the chunks. The route waits for the first chunk (the first megabyte, or everything of a
small result) before the headers go out, so an error the writer meets early — a bad field, an
Excel row limit — still answers with its status and the error shape. However the response
ends (sent, client gone, failed), it stops the pipe, so the writer never outlives it.
"""

from __future__ import annotations

import io
import itertools
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractContextManager, ExitStack, suppress
from enum import StrEnum
from typing import Any, BinaryIO

import polars as pl
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from variosync.billing import Usage
from variosync.export import write_stream
from variosync.export.columnar import write_arrow_stream

CHUNK_BYTES = 1 << 20
"""Bytes sent at once; the response's first chunk waits for this much (or the end)."""
QUEUED_CHUNKS = 8
"""Chunks a writer may run ahead of the client before it blocks."""
_POLL_S = 0.1


class QueryFormat(StrEnum):
    """The formats a query streams its rows in."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"

    @property
    def media_type(self) -> str:
        """The Content-Type of a response in this format."""
        return _MEDIA_TYPES[self][0]


_MEDIA_TYPES = {
    QueryFormat.JSON: ("application/json",),
    QueryFormat.JSONL: ("application/x-ndjson", "application/jsonl", "application/json-seq"),
    QueryFormat.CSV: ("text/csv",),
    QueryFormat.PARQUET: ("application/vnd.apache.parquet", "application/x-parquet"),
    QueryFormat.ARROW: ("application/vnd.apache.arrow.stream",),
}
_BY_MEDIA_TYPE = {media: fmt for fmt, types in _MEDIA_TYPES.items() for media in types}

COMPRESSED_MEDIA_TYPES = {
    "gz": "application/gzip",
    "bz2": "application/x-bzip2",
    "xz": "application/x-xz",
    "zst": "application/zstd",
    "zip": "application/zip",
}


def negotiate(fmt: QueryFormat | None, accept: str | None) -> QueryFormat:
    """The query format: ``format`` if given, else the first known type of ``Accept`` by
    preference, else JSON."""
    if fmt is not None:
        return fmt
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept or "").split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, index, media.lower()))
    for _, _, media in sorted(ranked):
        if media in _BY_MEDIA_TYPE:
            return _BY_MEDIA_TYPE[media]
    return QueryFormat.JSON


def write_query(batches: Iterable[pl.DataFrame], out: BinaryIO, fmt: QueryFormat) -> int:
    """Write a query's batches in ``fmt`` (the CLI's writers; Arrow as an IPC stream)."""
    if fmt is QueryFormat.ARROW:
        return write_arrow_stream(batches, out)
    return write_stream(batches, out, fmt.value)


class _Cancelled(Exception):
    """The response stopped reading: the client went away."""


_END = object()


class Pipe(io.RawIOBase):
    """A forward-only file a writer thread fills and a response drains, a chunk at a time."""

    def __init__(self, usage: Usage | None = None) -> None:
        super().__init__()
        self._usage = usage
        self._queue: queue.Queue[object] = queue.Queue(QUEUED_CHUNKS)
        self._buffer = bytearray()
        self._written = 0
        self._stopped = threading.Event()

    def writable(self) -> bool:
        """Always writable."""
        return True

    def seekable(self) -> bool:
        """Never seekable: writers write forward only (zip uses data descriptors)."""
        return False

    def tell(self) -> int:
        """Bytes written so far."""
        return self._written

    def write(self, data: Any) -> int:
        """Buffer the bytes; hand a chunk to the response whenever one is full."""
        if self._stopped.is_set():
            raise _Cancelled
        view = memoryview(data).cast("B")
        size = len(view)
        self._written += size
        offset = min(size, CHUNK_BYTES - len(self._buffer))
        self._buffer += view[:offset]
        if len(self._buffer) < CHUNK_BYTES:
            return size
        self._put(bytes(self._buffer))
        # a large write (a whole batch as JSON) is cut straight from its view, not re-buffered
        while size - offset >= CHUNK_BYTES:
            self._put(bytes(view[offset : offset + CHUNK_BYTES]))
            offset += CHUNK_BYTES
        self._buffer = bytearray(view[offset:])
        return size

    def flush(self) -> None:
        """Nothing: chunks go out when full, the rest when the writer ends."""

    def _put(self, item: object) -> None:
        """Queue an item, waiting while the client is slow; _Cancelled once it has gone.
        Waiting is not compute: a metered run is not charged for a slow download."""
        started = time.perf_counter()
        try:
            while not self._stopped.is_set():
                try:
                    self._queue.put(item, timeout=_POLL_S)
                    return
                except queue.Full:
                    continue
            raise _Cancelled
        finally:
            if self._usage is not None:
                self._usage.idle_s += time.perf_counter() - started

    def fill(self, write: Callable[[BinaryIO], object], guard: ExitStack) -> None:
        """Run ``write`` into this pipe, then close ``guard`` (settling a metered run) before
        the end (or the error) reaches the response."""
        try:
            with guard:
                try:
                    write(self)  # type: ignore[arg-type]  # a RawIOBase is a binary file
                    if self._buffer:
                        self._put(bytes(self._buffer))
                except Exception:
                    # Once the client has gone, any error is our _Cancelled as the writer
                    # passed it on (polars' CSV writer wraps it in an OSError): the run ended
                    # early, it did not fail, and the time used so far is still charged.
                    if not self._stopped.is_set():
                        raise
            outcome: object = _END
        except BaseException as exc:  # handed to the response, which raises it
            outcome = exc
        with suppress(_Cancelled):  # nobody is reading any more
            self._put(outcome)
        if self._stopped.is_set():
            self._drain()

    def stop(self) -> None:
        """The response has ended (sent, client gone, failed): the writer stops at its next
        write and the chunks it queued are let go."""
        self._stopped.set()
        self._drain()

    def _drain(self) -> None:
        """Drop the queued chunks: nobody will send them, and the pipe may live on a while."""
        with suppress(queue.Empty):
            while True:
                self._queue.get_nowait()

    def chunks(self) -> Generator[bytes, None, None]:
        """The written bytes a chunk at a time; re-raises the writer's error. Ends when the
        pipe is stopped: a stopped writer sends no end, and the response's worker thread must
        not wait for one."""
        try:
            while True:
                try:
                    item = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    if self._stopped.is_set():
                        return
                    continue
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, bytes)
                yield item
        finally:
            self._stopped.set()


class PipeResponse(StreamingResponse):
    """Stops its pipe however the response ends. Starlette cancels a response whose client
    went away without closing its body iterator, which sits in a reference cycle until a
    cyclic collection: the writer thread would stay blocked until then, holding its queued
    chunks, the query's scan and an unsettled reservation."""

    def __init__(self, pipe: Pipe, content: Iterable[bytes], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.pipe = pipe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.pipe.stop()

    def abandon(self) -> None:
        """Stop the writer of a response that will not be sent (the route failed after
        starting it)."""
        self.pipe.stop()


def streamed(
    write: Callable[[BinaryIO], object],
    media_type: str,
    *,
    guard: AbstractContextManager[object] | None = None,
    headers: dict[str, str] | None = None,
) -> PipeResponse:
    """Start ``write`` in a thread inside ``guard`` (entered here, so a 402 comes before any
    work) and stream its bytes, the first chunk read before the headers: call from a worker
    thread."""
    stack = ExitStack()
    usage = stack.enter_context(guard) if guard is not None else None
    pipe = Pipe(usage if isinstance(usage, Usage) else None)
    owned = stack.pop_all()
    thread = threading.Thread(target=pipe.fill, args=(write, owned), name="variosync-stream")
    thread.daemon = True
    try:
        thread.start()
    except BaseException:
        owned.close()
        raise
    chunks = pipe.chunks()
    first = next(chunks, b"")
    body = itertools.chain((first,), chunks)
    return PipeResponse(pipe, body, media_type=media_type, headers=headers)
