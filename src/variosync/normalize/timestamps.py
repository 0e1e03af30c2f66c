"""Timestamp detection (once per column, from a sample) and vectorised parsing to UTC."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Literal

import polars as pl

from variosync.errors import UsageError
from variosync.model import TS_DTYPE
from variosync.normalize.numbers import infer_numeric, nullify, to_float, to_int

Method = Literal["datetime", "date", "format", "epoch"]
EpochUnit = Literal["s", "ms", "us", "ns"]

SAMPLE_HEAD = 500
SAMPLE_SPREAD = 1500
CONTENT_SHARE = 0.9
NAMED_SHARE = 0.5

_UNIT_NAMES: dict[EpochUnit, str] = {
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
}
_UNIT_TO_US: dict[EpochUnit, float] = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}
_PER_SECOND: dict[EpochUnit, float] = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
# Epoch seconds a number must sit in to be read as a time: 1800-01-01 ≤ t < 2300-01-01, and not
# within a day of 1970 (0, 55.3 or 3600 are counts and measurements, not moments).
_EPOCH_FIRST = -5_364_662_400
_EPOCH_END = 10_413_792_000
_EPOCH_FLOOR = 86_400
# Magnitudes an epoch column must sit in to be recognised by content alone (about 1979–2128).
_CONTENT_BANDS: tuple[tuple[EpochUnit, float, float], ...] = (
    ("s", 3e8, 5e9),
    ("ms", 3e11, 5e12),
    ("us", 3e14, 5e15),
    ("ns", 3e17, 5e18),
)
_COMPACT = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}


@dataclass(frozen=True)
class TimeSpec:
    """How one (possibly combined) time column turns into timestamps."""

    method: Method
    fmt: str | None = None
    aware: bool = False
    unit: EpochUnit | None = None
    iso_t: bool = False

    def describe(self) -> str:
        """A phrase for reject reasons, e.g. ``format %Y-%m-%d`` or ``epoch seconds``."""
        if self.method == "format":
            return f"format {self.fmt}"
        if self.method == "epoch" and self.unit is not None:
            return f"epoch {_UNIT_NAMES[self.unit]}"
        return f"type {self.method}"


def check_tz(tz: str) -> str:
    """Return ``tz`` when it names an IANA zone, else raise UsageError."""
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {tz!r}", hint="use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from exc
    return tz


def _with_times(dates: list[str], times: tuple[str, ...]) -> list[tuple[str, bool]]:
    return [(f"{d}{t}", False) for d in dates for t in times]


def candidate_formats(dayfirst: bool) -> list[tuple[str, bool]]:
    """Formats tried in priority order, each with whether its values are instants (offset or Z).

    Fixed-width formats come first: polars parses those several times faster.
    """
    out: list[tuple[str, bool]] = []
    clock = (" %H:%M:%S%.f", " %H:%M", "")
    iso_dates = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
    for d in iso_dates:
        for sep in ("T", " "):
            out += [(f"{d}{sep}%H:%M:%SZ", True), (f"{d}{sep}%H:%M:%S", False)]
        out.append((d, False))
    for d in iso_dates:
        out += [(f"{d} %H:%M:%S%.f%#z", True), (f"{d} %H:%M%#z", True)]
        out += _with_times([d], clock[:2])
    out += _with_times(["%d.%m.%Y", "%d.%m.%y"], clock)
    for sep in ("/", "-"):
        md, dm = f"%m{sep}%d{sep}%Y", f"%d{sep}%m{sep}%Y"
        pair = [dm, md] if dayfirst else [md, dm]
        out += _with_times(pair, (*clock, " %I:%M:%S %p", " %I:%M %p"))
        out += _with_times([p.replace("%Y", "%y") for p in pair], (" %H:%M:%S", " %H:%M", ""))
    named = ["%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"]
    named += ["%d-%b-%Y", "%d-%B-%Y", "%Y-%b-%d", "%a %b %d %Y", "%a, %b %d, %Y"]
    out += _with_times(named, (" %H:%M:%S", " %H:%M", ""))
    out += [("%a, %d %b %Y %H:%M:%S %z", True), ("%a %b %d %H:%M:%S %Y", False)]
    out += [("%Y%m%dT%H%M%S%#z", True), ("%Y%m%dT%H%M%S", False), ("%Y%m%d %H%M%S", False)]
    return out


def _has_offset(fmt: str | None) -> bool:
    return fmt is not None and any(z in fmt for z in ("%z", "%#z", "%:z"))


def sample_of(series: pl.Series) -> pl.Series:
    """The head of a column plus values spread evenly over the rest, nulls dropped."""
    n = series.len()
    if n <= SAMPLE_HEAD + SAMPLE_SPREAD:
        return series.drop_nulls()
    step = max(1, (n - SAMPLE_HEAD) // SAMPLE_SPREAD)
    spread = series.slice(SAMPLE_HEAD).gather_every(step)
    return pl.concat([series.head(SAMPLE_HEAD), spread]).drop_nulls()


def _prepared_strings(raw: pl.Expr, iso_t: bool, careful: bool) -> pl.Expr:
    text = raw.cast(pl.String)
    cleaned = nullify(text) if careful else text
    return cleaned.str.replace("T", " ", literal=True) if iso_t else cleaned


def _is_iso(fmt: str) -> bool:
    return fmt.startswith(("%Y-%m-%d %H", "%Y/%m/%d %H", "%Y.%m.%d %H"))


def _share(values: pl.Series, spec: TimeSpec) -> float:
    parsed = pl.DataFrame({"v": values}).select(parse(spec, pl.col("v"), values.dtype))
    return float(parsed.to_series().is_not_null().sum()) / max(1, values.len())


def detect_text_format(values: pl.Series, dayfirst: bool) -> tuple[TimeSpec | None, float]:
    """The candidate format that parses most non-null sampled strings, and the share it parses."""
    strings = pl.DataFrame({"v": values}).select(nullify(pl.col("v"))).to_series().drop_nulls()
    if strings.len() == 0:
        return None, 0.0
    has_t = bool(strings.str.contains("T", literal=True).any())
    best: tuple[TimeSpec | None, float] = (None, 0.0)
    for fmt, aware in candidate_formats(dayfirst):
        spec = TimeSpec("format", fmt, aware, iso_t=has_t and _is_iso(fmt))
        share = _share(strings, spec)
        if share > best[1]:
            best = (spec, share)
            if share == 1.0:
                break
    return best


def epoch_unit(max_abs: float) -> EpochUnit:
    """Tell epoch seconds, milliseconds, microseconds and nanoseconds apart by magnitude.

    Callers pass the median |value| of the sample so one outlier does not change the unit.
    """
    if max_abs < 1e11:
        return "s"
    if max_abs < 1e14:
        return "ms"
    if max_abs < 1e17:
        return "us"
    return "ns"


def _numbers(values: pl.Series) -> pl.Series:
    if values.dtype == pl.String:
        frame = pl.DataFrame({"v": values})
        return frame.select(to_float(nullify(pl.col("v")), False)).to_series().drop_nulls()
    return values.cast(pl.Float64, strict=False).drop_nulls()


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def content_epoch_unit(values: pl.Series) -> EpochUnit | None:
    """The epoch unit of an integer column whose every sampled value is a plausible modern epoch."""
    numbers = _numbers(values)
    if numbers.len() == 0 or bool((numbers != numbers.round()).any()):
        return None
    low, high = _number(numbers.abs().min()), _number(numbers.abs().max())
    for unit, lo, hi in _CONTENT_BANDS:
        if lo <= low and high < hi:
            return unit
    return None


def plausible_epoch(number: pl.Expr, unit: EpochUnit) -> pl.Expr:
    """True where a number, read in ``unit``, is a moment in 1800–2300 away from 1970-01-01."""
    seconds = number / _PER_SECOND[unit]
    return (seconds >= _EPOCH_FIRST) & (seconds < _EPOCH_END) & (seconds.abs() >= _EPOCH_FLOOR)


def _is_modern(number: pl.Expr, unit: EpochUnit) -> pl.Expr:
    _, low, high = next(band for band in _CONTENT_BANDS if band[0] == unit)
    return number.abs().is_between(low, high, closed="left")


def epoch_share(numbers: pl.Series, unit: EpochUnit) -> float:
    """The share of ``numbers`` that are plausible epoch times in ``unit``.

    Fractions count only on modern epochs (``time.time()`` style); elsewhere they are readings.
    """
    number = pl.col("n")
    ok = plausible_epoch(number, unit) & ((number == number.round()) | _is_modern(number, unit))
    share = pl.DataFrame({"n": numbers}).select(ok.mean()).item()
    return float(share) if share is not None else 0.0


def _numeric_spec(values: pl.Series) -> TimeSpec | None:
    numbers = _numbers(values)
    if numbers.len() == 0:
        return None
    if bool((numbers == numbers.round()).all()):
        digits = numbers.abs().cast(pl.Int64, strict=False).cast(pl.String).str.len_chars()
        lengths = set(digits.to_list())
        if len(lengths) == 1 and (fmt := _COMPACT.get(lengths.pop())) is not None:
            compact = TimeSpec("format", fmt)
            if _share(values, compact) >= CONTENT_SHARE:
                return compact
    unit = epoch_unit(_number(numbers.abs().median()))
    if epoch_share(numbers, unit) < NAMED_SHARE:
        return None
    return TimeSpec("epoch", unit=unit)


def numbers_not_epochs(values: pl.Series) -> bool:
    """Whether sampled values are numbers that no epoch unit reads as plausible times."""
    numeric = values.dtype.is_numeric() or (
        values.dtype == pl.String and infer_numeric(values, decimal_comma=False) is not None
    )
    return numeric and _numbers(values).len() > 0 and _numeric_spec(values) is None


def detect(
    sample: pl.Series, *, dayfirst: bool, time_format: str | None, content_only: bool = False
) -> TimeSpec | None:
    """Decide how a time column parses from its sampled values; None when it is not time.

    ``content_only`` (no name says this is time) makes detection conservative: text must parse
    at 90% and plain numbers qualify only as modern epochs.
    """
    dtype = sample.dtype
    if isinstance(dtype, pl.Datetime):
        return TimeSpec("datetime", aware=dtype.time_zone is not None)
    if dtype == pl.Date:
        return TimeSpec("date")
    if time_format is not None:
        given = TimeSpec("format", time_format, _has_offset(time_format))
        if not content_only:
            return given
        # No name says this is time: the column is time if the given format reads its text.
        if dtype != pl.String:
            return None
        strings = pl.DataFrame({"v": sample}).select(nullify(pl.col("v"))).to_series().drop_nulls()
        return given if strings.len() and _share(strings, given) >= CONTENT_SHARE else None
    numeric = dtype.is_numeric() or (
        dtype == pl.String and infer_numeric(sample, decimal_comma=False) is not None
    )
    if numeric:
        if content_only:
            unit = content_epoch_unit(sample) if not dtype.is_float() else None
            return TimeSpec("epoch", unit=unit) if unit is not None else None
        return _numeric_spec(sample)
    if dtype != pl.String:
        return None
    spec, share = detect_text_format(sample, dayfirst)
    return spec if share >= (CONTENT_SHARE if content_only else NAMED_SHARE) else None


def missing(spec: TimeSpec, raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """True where the time cell is empty (null or a null token)."""
    if dtype == pl.String:
        return nullify(raw).is_null()
    return raw.is_null()


def _epoch(spec: TimeSpec, raw: pl.Expr, dtype: pl.DataType, careful: bool) -> pl.Expr:
    unit = spec.unit or "s"
    if dtype == pl.String:
        cleaned = nullify(raw) if careful else raw
        as_int, as_float = to_int(cleaned), to_float(cleaned, False)
        number = pl.when(as_int.is_not_null()).then(as_int.cast(pl.Float64)).otherwise(as_float)
    else:
        as_int = raw.cast(pl.Int64, strict=False) if dtype.is_integer() else pl.lit(None, pl.Int64)
        number = raw.cast(pl.Float64, strict=False)
    in_range = plausible_epoch(number, unit)
    if unit == "ns":
        exact = as_int // 1000
    elif unit == "us":
        exact = as_int
    else:
        exact = as_int * int(_UNIT_TO_US[unit])
    approx = (number * _UNIT_TO_US[unit]).round().cast(pl.Int64, strict=False)
    micros = pl.when(as_int.is_not_null()).then(exact).otherwise(approx)
    return pl.when(in_range).then(micros).cast(pl.Datetime("us"))


def parse(spec: TimeSpec, raw: pl.Expr, dtype: pl.DataType, careful: bool = True) -> pl.Expr:
    """Parse to Datetime("us") — UTC-aware when the values carry offsets, naive otherwise.

    ``careful`` strips cells and maps null tokens first; the fast path skips that and is
    re-run carefully only for batches where it left unexplained nulls.
    """
    if spec.method == "datetime":
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            return raw.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return raw.cast(pl.Datetime("us"), strict=False)
    if spec.method == "date":
        return raw.cast(pl.Datetime("us"), strict=False)
    if spec.method == "epoch":
        return _epoch(spec, raw, dtype, careful)
    strings = _prepared_strings(raw, spec.iso_t, careful)
    return strings.str.to_datetime(format=spec.fmt, strict=False, time_unit="us", cache=False)


def is_aware(spec: TimeSpec, dtype: pl.DataType) -> bool:
    """Whether parsed values are already instants (offsets, epochs, zone-aware types)."""
    if spec.method == "datetime":
        return isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    return spec.aware or spec.method == "epoch"


def to_utc(parsed: pl.Expr, spec: TimeSpec, dtype: pl.DataType, tz: str) -> pl.Expr:
    """Localise naive values in ``tz`` (DST gaps and overlaps become null) and convert to UTC."""
    if is_aware(spec, dtype):
        if spec.method == "epoch" or (spec.method == "format" and not _has_offset(spec.fmt)):
            return parsed.dt.replace_time_zone("UTC").cast(TS_DTYPE)
        return parsed.cast(TS_DTYPE)
    local = parsed.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
    return local.dt.convert_time_zone("UTC").cast(TS_DTYPE)
