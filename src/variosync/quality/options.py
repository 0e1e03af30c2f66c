"""How a profile is computed: outlier thresholds, run length and list sizes."""

from __future__ import annotations

from dataclasses import dataclass, fields

from variosync.errors import UsageError
from variosync.quality.records import Record


@dataclass(frozen=True)
class ProfileOptions(Record):
    """Thresholds of the outlier tests and how many examples, gaps and steps to list."""

    iqr_k: float = 1.5
    z_threshold: float = 3.0
    mad_window: int = 21
    """Points in the centred rolling window of the MAD test; odd, so the window has a middle."""
    mad_threshold: float = 3.5
    """In units of 1.4826·MAD, the MAD's estimate of a normal standard deviation."""
    min_constant_run: int = 10
    examples: int = 3
    largest_gaps: int = 5
    top_steps: int = 5

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            wanted = int if isinstance(spec.default, int) else int | float
            if isinstance(value, bool) or not isinstance(value, wanted) or value < 0:
                what = "a whole number" if wanted is int else "a number"
                raise UsageError(f"profile option {spec.name} must be {what} ≥ 0, not {value!r}")
        for name in ("iqr_k", "z_threshold", "mad_threshold"):
            if getattr(self, name) <= 0:
                raise UsageError(f"profile option {name} must be > 0")
        if self.mad_window < 3 or self.mad_window % 2 == 0:
            raise UsageError(
                f"profile option mad_window must be odd and ≥ 3, not {self.mad_window}",
                hint="the window is centred on each point: 21 is 10 points either side",
            )
        if self.min_constant_run < 2:
            raise UsageError("profile option min_constant_run must be ≥ 2")
