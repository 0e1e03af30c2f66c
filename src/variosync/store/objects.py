"""Object-store housekeeping the Delta library does not do: removing a whole table, and
checking that the store answers at all (readiness)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs

from variosync.errors import StorageError


def _s3(options: dict[str, str]) -> pafs.S3FileSystem:
    endpoint = options.get("AWS_ENDPOINT_URL")
    return pafs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"),
        secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        region=options.get("AWS_REGION"),
        endpoint_override=endpoint,
        scheme="http" if (endpoint or "").startswith("http://") else "https",
        connect_timeout=5,
        request_timeout=10,
    )


def delete_tree(uri: str, options: dict[str, str], table_id: str) -> None:
    """Delete every object under an ``s3://`` table URI (missing is fine)."""
    try:
        _s3(options).delete_dir(uri.removeprefix("s3://"))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot delete table {table_id}: {exc}") from exc


def check_reachable(root: str, options: dict[str, str]) -> None:
    """Raise a StorageError saying why the store at ``root`` cannot be used."""
    if not root.startswith("s3://"):
        path = Path(root)
        if not (path.is_dir() or path.parent.is_dir()):
            raise StorageError(f"the store folder {root} does not exist")
        return
    bucket = root.removeprefix("s3://").split("/", 1)[0]
    try:
        info = _s3(options).get_file_info(bucket)
    except OSError as exc:
        raise StorageError(f"cannot reach the store at {root}: {type(exc).__name__}") from exc
    if info.type == pafs.FileType.NotFound:
        raise StorageError(f"the bucket of {root} does not exist")
