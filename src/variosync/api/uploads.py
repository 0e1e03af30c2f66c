"""Receiving an upload: a multipart body streamed straight to files in our own temporary folder,
refused (413) as soon as it passes the size limit, with file names made safe.

Starlette's form parser would first spool every file, of any size, to a temporary file of its
own; reading ``request.stream()`` here keeps memory bounded and stops an oversized upload at
the limit instead of after the whole body arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from variosync.errors import TooLargeError, UsageError

MAX_FILES = 100
MAX_FIELD_BYTES = 64 * 1024
"""Largest value of a form field that is not a file (they are kept in memory)."""
MAX_FIELDS = 32
MAX_FIELDS_BYTES = 256 * 1024
"""Form fields (not files) an upload may have, and their bytes together: the options are a
few short values, and every field is held in memory until the whole body was read."""
FLUSH_BYTES = 1 << 20
"""File bytes gathered before they are written (one worker-thread hop per megabyte)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_NAME_MAX = 120


def safe_name(sent: str, index: int) -> str:
    """A file name safe inside our folder that keeps the extensions formats are detected by.

    Only the base name of what the client sent is kept, with characters other than letters,
    digits, '.', '_' and '-' replaced; a name that is empty, hidden or too long becomes
    ``upload-N`` plus its extensions when they look like extensions.
    """
    base = sent.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _UNSAFE.sub("_", base)
    if cleaned.strip("._") and not cleaned.startswith(".") and len(cleaned) <= _NAME_MAX:
        return cleaned
    suffixes = PurePosixPath(cleaned.lstrip(".") or "x").suffixes[-2:]
    kept = "".join(s for s in suffixes if _SUFFIX.match(s))
    return f"upload-{index}{kept}"


@dataclass
class ReceivedFile:
    """One uploaded file: the safe name it is known by and where it lies on disk."""

    name: str
    path: Path
    size: int = 0


@dataclass
class ReceivedForm:
    """An upload's form fields (each name's values in order) and files."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)


class _Receiver:
    """The parser's callbacks: headers and field values in memory, file bytes to disk."""

    def __init__(self, folder: Path, file_field: str) -> None:
        self.folder = folder
        self.file_field = file_field
        self.form = ReceivedForm()
        self.ended = False
        self._disposition = b""
        self._header_name = b""
        self._header_value = b""
        self._name = ""
        self._value = bytearray()
        self._fields = 0
        self._field_bytes = 0
        self._file: ReceivedFile | None = None
        self._pending: list[tuple[ReceivedFile, bytes]] = []
        self._pending_bytes = 0
        self._handles: dict[Path, BinaryIO] = {}
        self._finished: list[ReceivedFile] = []

    def callbacks(self) -> dict[str, object]:
        """The callback table of ``MultipartParser``."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._disposition, self._name, self._value, self._file = b"", "", bytearray(), None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise UsageError("a part of the upload has no field name")
        self._name = options[b"name"].decode("utf-8", "replace")
        if b"filename" not in options:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise UsageError(
                    f"form field {self._name!r} is past the {MAX_FIELDS} form fields an "
                    "upload may have",
                    hint=f"send each option once; send files as {self.file_field!r}",
                )
            return
        if self._name != self.file_field:
            raise UsageError(
                f"a file was sent as {self._name!r}", hint=f"send files as {self.file_field!r}"
            )
        index = len(self.form.files) + 1
        if index > MAX_FILES:
            raise UsageError(f"more than {MAX_FILES} files", hint="upload them in several parts")
        name = safe_name(options[b"filename"].decode("utf-8", "replace"), index)
        # one folder per file: two files of the same name do not overwrite each other
        self._file = ReceivedFile(name, self.folder / str(index) / name)
        self.form.files.append(self._file)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._pending.append((self._file, data[start:end]))
            self._pending_bytes += end - start
            self._file.size += end - start
            return
        if len(self._value) + end - start > MAX_FIELD_BYTES:
            raise UsageError(f"form field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")
        self._field_bytes += end - start
        if self._field_bytes > MAX_FIELDS_BYTES:
            raise TooLargeError(
                f"form field {self._name!r} takes the form fields past {MAX_FIELDS_BYTES:,} "
                "bytes together",
                hint=f"send each option once; send files as {self.file_field!r}",
            )
        self._value += data[start:end]

    def _part_end(self) -> None:
        if self._file is not None:
            self._finished.append(self._file)
            return
        try:
            value = self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"form field {self._name!r} is not UTF-8 text") from None
        self.form.fields.setdefault(self._name, []).append(value)

    def _end(self) -> None:
        self.ended = True

    @property
    def due(self) -> bool:
        """Whether enough bytes (or a finished file) wait to be written."""
        return self._pending_bytes >= FLUSH_BYTES or bool(self._finished)

    def write_pending(self) -> None:
        """Write the gathered bytes and close finished files (blocking: call in a thread)."""
        pending, finished = self._pending, self._finished
        self._pending, self._pending_bytes, self._finished = [], 0, []
        for received, data in pending:
            handle = self._handles.get(received.path)
            if handle is None:
                received.path.parent.mkdir()
                handle = self._handles[received.path] = received.path.open("xb")
            handle.write(data)
        for received in finished:
            handle = self._handles.pop(received.path, None)
            if handle is None:  # an empty file
                received.path.parent.mkdir()
                received.path.touch(exist_ok=False)
            else:
                handle.close()

    def close(self) -> None:
        """Close every open file (after an error; the folder's owner removes them)."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def _too_large(limit: int) -> TooLargeError:
    return TooLargeError(
        f"the upload is larger than the server's limit of {limit:,} bytes",
        hint="send fewer or smaller files per upload (the operator sets "
        "VARIOSYNC_UPLOAD_MAX_BYTES)",
    )


def _boundary(request: Request) -> bytes:
    media, options = parse_options_header(request.headers.get("content-type"))
    if media != b"multipart/form-data" or not options.get(b"boundary"):
        raise UsageError(
            "an upload must be sent as multipart/form-data",
            hint="e.g. curl -F files=@data.csv …/upload",
        )
    return options[b"boundary"]


async def receive_form(
    request: Request, folder: Path, limit: int, file_field: str = "files"
) -> ReceivedForm:
    """Stream the request's multipart body into ``folder``; TooLargeError (413) once the body
    passes ``limit`` bytes — at once when its Content-Length says it will."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    receiver = _Receiver(folder, file_field)
    parser = MultipartParser(_boundary(request), receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            parser.write(chunk)
            if receiver.due:
                await run_in_threadpool(receiver.write_pending)
        parser.finalize()
        await run_in_threadpool(receiver.write_pending)
    except FormParserError:
        raise UsageError(
            "the upload is not valid multipart/form-data", hint="let the HTTP client build it"
        ) from None
    except ClientDisconnect:  # an aborted upload is the client's choice, not a server fault
        raise UsageError("the client went away before the upload ended") from None
    finally:
        receiver.close()
    if not receiver.ended:
        raise UsageError("the upload ended before its closing boundary")
    return receiver.form
