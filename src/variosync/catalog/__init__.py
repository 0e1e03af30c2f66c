"""The catalog: dataset records (and later users, keys, ledger, audit) in SQLite or PostgreSQL."""

from variosync.catalog.datasets import Dataset, DatasetCatalog, Field, validate_name
from variosync.catalog.migrate import check, make_engine, upgrade
from variosync.catalog.versions import VersionCatalog, VersionRecord

__all__ = [
    "Dataset",
    "DatasetCatalog",
    "Field",
    "VersionCatalog",
    "VersionRecord",
    "check",
    "make_engine",
    "upgrade",
    "validate_name",
]
