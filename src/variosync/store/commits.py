"""Reading Delta commit logs: history entries, add-action statistics, commit metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_META_PREFIX = "variosync."


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a table's history."""

    version: int
    timestamp: datetime
    operation: str
    metadata: dict[str, str] = field(default_factory=dict)


def version_info(entry: dict[str, Any]) -> VersionInfo:
    """One history entry of delta-rs as a VersionInfo (our commit metadata unprefixed)."""
    meta = {
        k.removeprefix(_META_PREFIX): str(v) for k, v in entry.items() if k.startswith(_META_PREFIX)
    }
    if meta.get("operation", "ingest") == "ingest":
        meta.update(_row_metrics(entry.get("operationMetrics") or {}))
    stamp = datetime.fromtimestamp(int(entry.get("timestamp", 0)) / 1000, tz=UTC)
    op = meta.pop("operation", str(entry.get("operation", "")).lower())
    return VersionInfo(int(entry["version"]), stamp, op, meta)


def column_values(actions: Any, column: str) -> list[Any]:
    """One column of the add-actions table as Python values; empty if the column is absent."""
    if not actions.num_rows or column not in actions.column_names:
        return []
    return list(actions.column(column).to_pylist())


def column_sum(actions: Any, column: str) -> int:
    """Sum of one column of delta-rs's add-actions table (read without converting to pyarrow,
    whose first conversion costs a noticeable import)."""
    if not actions.num_rows:
        return 0
    return sum(int(v or 0) for v in actions.column(column).to_pylist())


def _row_metrics(metrics: dict[str, Any]) -> dict[str, str]:
    """Rows a commit added or replaced, from delta-rs's operation metrics."""
    if "num_added_rows" in metrics:
        return {"inserted": str(metrics["num_added_rows"]), "updated": "0"}
    if "num_target_rows_inserted" in metrics:
        return {
            "inserted": str(metrics["num_target_rows_inserted"]),
            "updated": str(metrics.get("num_target_rows_updated", 0)),
        }
    return {}


def one_line(exc: BaseException) -> str:
    """An error from the storage client on one line (its cause chains run over many lines)."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return (text[:400] + " …" if len(text) > 400 else text) or type(exc).__name__


def prefixed(metadata: dict[str, str]) -> dict[str, str]:
    return {_META_PREFIX + k: str(v) for k, v in metadata.items()}
