"""The point store: one Delta Lake table per dataset, on a local folder or S3-compatible storage."""

from variosync.store.commits import VersionInfo
from variosync.store.delta import DeltaStore, TableStats, WriteResult
from variosync.store.staging import Staging

__all__ = ["DeltaStore", "Staging", "TableStats", "VersionInfo", "WriteResult"]
