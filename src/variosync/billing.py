"""Hour-based billing: metered operations reserve their estimated cost, run, then settle on
the compute time they measured.

A reservation is a conditional debit (the ledger refuses one the balance cannot cover, so 402
happens before any work and concurrent requests can never overdraw); settling refunds what
was reserved and not used, or takes the overrun from whatever balance is left. Every entry
carries an idempotency key derived from the request's; the request's idempotency record
(``catalog/runs.py``) decides whether a run is charged, a free retry of a success, or refused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from variosync.catalog.audit import AuditLog
from variosync.catalog.ledger import MS_PER_HOUR, EntryKind, Ledger
from variosync.catalog.runs import MAX_REPLAYS, Claim, RunRegistry
from variosync.catalog.users import User
from variosync.errors import PaymentRequiredError
from variosync.query import Query
from variosync.selection import filled_rows

HOUR_PACKAGES = (5, 10, 20, 50)
"""Hour packages offered for purchase (no payment provider is connected yet)."""

INGEST_BYTES_PER_S = 20_000_000
"""Estimate rates: measured ingest ran at ~25 MB/s, queries and exports at tens of millions of
rows per second on 2 cores; estimates round up so a reservation usually covers the run."""
QUERY_ROWS_PER_S = 20_000_000
EXPORT_ROWS_PER_S = 5_000_000
CLEAN_ROWS_PER_S = 1_000_000
"""Cleaning and profiling: a five-step recipe ran at ~1.5M rows/s, a profile at ~1M rows/s."""
MIN_CHARGE_MS = 1
REFUND, EXTRA, FAILED = "#refund", "#extra", "#failed"
"""Suffixes of the ledger keys of a run's refund, overrun and (refunded) failure. An
Idempotency-Key cannot contain ``#``, so no request's key collides with one of these."""


def hours(ms: int) -> float:
    """Milliseconds of compute as hours (rounded to the millisecond's precision)."""
    return round(ms / MS_PER_HOUR, 9)


def describe(ms: int) -> str:
    """Milliseconds as hours for people: ``0.000028 h`` (a tenth of a second), ``2.5 h``."""
    return f"{ms / MS_PER_HOUR:.6f}".rstrip("0").rstrip(".") + " h"


def estimate_ingest(size_bytes: int) -> int:
    """Estimated compute milliseconds of ingesting ``size_bytes`` of files."""
    return max(100, size_bytes * 1000 // INGEST_BYTES_PER_S)


def rows_touched(
    rows: int,
    series_count: int,
    span: tuple[datetime, datetime] | None,
    series: int,
    window: tuple[datetime | None, datetime | None],
) -> int:
    """Rows a query may read, assuming points spread evenly over series and time: all
    ``rows`` scaled by the share of series selected (``series`` 0 = all) and of the dataset's
    time ``span`` the ``window`` covers."""
    window = (_aware(window[0]), _aware(window[1]))
    share = 1.0
    if series and series_count:
        share *= min(1.0, series / series_count)
    if span is not None and (window[0] is not None or window[1] is not None):
        first, last = span
        total = (last - first).total_seconds()
        lo = max(first, window[0]) if window[0] is not None else first
        hi = min(last, window[1]) if window[1] is not None else last
        if total > 0:
            share *= min(1.0, max(0.0, (hi - lo).total_seconds()) / total)
    return math.ceil(rows * share)


def query_rows(
    rows: int, series_count: int, span: tuple[datetime, datetime] | None, query: Query
) -> int:
    """Rows a query may touch: those it reads (``rows_touched``) or, when it fills a
    resample's empty buckets, those it may make — a grid that can dwarf the rows stored."""
    window = (query.start, query.end)
    touched = rows_touched(rows, series_count, span, len(query.series), window)
    return max(touched, filled_rows(query, span, series_count))


def _aware(value: datetime | None) -> datetime | None:
    # a naive bound is a wall-clock time of the display zone; UTC is close enough to estimate
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def estimate_rows(rows: int, rows_per_s: int) -> int:
    """Estimated compute milliseconds of reading ``rows`` rows at ``rows_per_s``."""
    return max(10, rows * 1000 // rows_per_s)


@dataclass
class Usage:
    """One metered run: what was reserved and, once settled, what it cost."""

    key: str
    reserved_ms: int
    charged: bool
    started: float = field(default_factory=time.perf_counter)
    cost_ms: int = 0
    idle_s: float = 0.0
    """Time the run spent waiting on its client (a slow download), which is not compute."""

    def elapsed_ms(self) -> int:
        """Compute milliseconds so far: wall time less the time spent waiting on the client."""
        busy = time.perf_counter() - self.started - self.idle_s
        return max(MIN_CHARGE_MS, round(busy * 1000))


@dataclass(frozen=True)
class RequestKey:
    """A request's idempotency key and the fingerprint of the request it was sent with."""

    key: str
    fingerprint: str


class Meter:
    """Reserves, measures and settles metered operations for one catalog's ledger."""

    def __init__(
        self, ledger: Ledger, audit: AuditLog, enforce: bool, runs: RunRegistry | None = None
    ) -> None:
        self.ledger = ledger
        self.audit = audit
        self.enforce = enforce
        self.runs = runs or RunRegistry(ledger.engine)

    @contextmanager
    def metered(
        self,
        user: User,
        operation: str,
        target: str,
        estimate_ms: int,
        key: RequestKey | str,
        client_ip: str | None = None,
        max_replays: int = MAX_REPLAYS,
    ) -> Iterator[Usage]:
        """Reserve ``estimate_ms``, run the block, settle on its measured time. A block that
        raises is refunded in full. With payment not enforced, nothing is written.

        The key's first request is charged; the same key for another request, or while its run
        is going, is a ConflictError; a retry after a success runs free (a few times), after a
        failure it is charged again.
        """
        if isinstance(key, str):
            key = RequestKey(key, f"{operation}:{target}")
        if not self.enforce:
            yield Usage(key.key, 0, False)
            return
        claim = self.runs.claim(user.id, key.key, operation, key.fingerprint, max_replays)
        usage: Usage | None = None
        try:
            usage = self._reserve(user, claim, key.key, estimate_ms, operation, target)
            yield usage
        except BaseException:
            self.runs.finish(user.id, key.key, ok=False)
            if usage is not None and usage.charged:
                self._refund(user, usage, usage.reserved_ms, operation, target, FAILED)
            raise
        self.runs.finish(user.id, key.key, ok=True)
        if not usage.charged:  # a retry of a request that was already charged
            return
        self._settle(user, usage, operation, target, client_ip)

    def _reserve(
        self, user: User, claim: Claim, key: str, estimate_ms: int, operation: str, target: str
    ) -> Usage:
        """Debit the estimate for a charged claim (402 when the balance cannot cover it)."""
        if not claim.charge:
            return Usage(key, 0, False)
        attempt_key = key if claim.attempt == 1 else f"{key}#{claim.attempt}"
        reserved = self.ledger.debit(
            user.id, estimate_ms, attempt_key, operation=operation, target=target
        )
        if not reserved.charged:
            raise PaymentRequiredError(
                f"{operation} needs about {describe(estimate_ms)} of compute; "
                f"the balance is {describe(reserved.balance_ms)}",
                balance_hours=hours(reserved.balance_ms),
                cost_hours=hours(estimate_ms),
                hint="ask an administrator for hours (packages: "
                + ", ".join(f"{h} h" for h in HOUR_PACKAGES)
                + ")",
            )
        return Usage(attempt_key, estimate_ms, True)

    def _settle(
        self, user: User, usage: Usage, operation: str, target: str, client_ip: str | None
    ) -> None:
        """Refund what the run did not use, or take its overrun from what is left."""
        used = usage.elapsed_ms()
        usage.cost_ms = used
        if used < usage.reserved_ms:
            self._refund(user, usage, usage.reserved_ms - used, operation, target)
        elif used > usage.reserved_ms:
            extra = self.ledger.debit(
                user.id,
                used - usage.reserved_ms,
                usage.key + EXTRA,
                operation=operation,
                target=target,
                partial=True,
            )
            usage.cost_ms = usage.reserved_ms + (
                -extra.entry.amount_ms if extra.entry is not None and extra.charged else 0
            )
        self.audit.record(
            "debit",
            user_id=user.id,
            target=target,
            client_ip=client_ip,
            detail={"operation": operation, "ms": usage.cost_ms, "key": usage.key},
        )

    def _refund(
        self,
        user: User,
        usage: Usage,
        amount: int,
        operation: str,
        target: str,
        suffix: str = REFUND,
    ) -> None:
        if amount > 0:
            self.ledger.credit(
                user.id,
                amount,
                EntryKind.REFUND,
                operation=operation,
                target=target,
                idempotency_key=usage.key + suffix,
            )
