"""Object-store housekeeping the Delta library does not do: removing a whole table."""

from __future__ import annotations

import pyarrow.fs as pafs

from variosync.errors import StorageError


def delete_tree(uri: str, options: dict[str, str], table_id: str) -> None:
    """Delete every object under an ``s3://`` table URI (missing is fine)."""
    endpoint = options.get("AWS_ENDPOINT_URL")
    filesystem = pafs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"),
        secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        region=options.get("AWS_REGION"),
        endpoint_override=endpoint,
        scheme="http" if (endpoint or "").startswith("http://") else "https",
    )
    try:
        filesystem.delete_dir(uri.removeprefix("s3://"))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot delete table {table_id}: {exc}") from exc
