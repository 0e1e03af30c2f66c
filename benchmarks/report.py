"""The results table: each figure beside its baseline, the ratio, the target and the verdict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of the table. ``met`` is None for figures without a target."""

    section: str
    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: bool | None


def rate(rows_per_s: float) -> str:
    return f"{rows_per_s / 1e6:.2f} M rows/s"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def _verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "MISSED")


def table(rows: list[Row]) -> str:
    """A Markdown table (readable on a terminal too)."""
    head = ["figure", "variosync", "baseline", "ratio", "target", "met"]
    body = [[r.figure, r.value, r.baseline, r.ratio, r.target, _verdict(r.met)] for r in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    out = []
    section = None
    for row, line in zip([None, *rows], [head, *body], strict=True):
        if row is not None and row.section != section:
            section = row.section
            out.append(f"| **{section}** |" + " |" * (len(head) - 1))
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if row is None:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def write_json(path: Path, meta: dict[str, Any], raw: dict[str, Any], rows: list[Row]) -> None:
    """Everything measured, machine-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "raw": raw, "table": [asdict(r) for r in rows]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
