"""Data quality: the profile of a dataset and of each of its series."""

from variosync.quality.dataset import (
    DatasetProfile,
    FieldSummary,
    Totals,
    attach_ingest_counts,
    merge_profiles,
    without_series,
)
from variosync.quality.fields import (
    OUTLIER_METHODS,
    BooleanStats,
    ConstantRun,
    ConstantRuns,
    FieldKind,
    FieldProfile,
    NumericStats,
    OutlierExample,
    Outliers,
    OutlierSet,
    TextStats,
)
from variosync.quality.options import ProfileOptions
from variosync.quality.profiler import profile_frame
from variosync.quality.series import Gap, SeriesProfile, StepCount

__all__ = [
    "OUTLIER_METHODS",
    "BooleanStats",
    "ConstantRun",
    "ConstantRuns",
    "DatasetProfile",
    "FieldKind",
    "FieldProfile",
    "FieldSummary",
    "Gap",
    "NumericStats",
    "OutlierExample",
    "OutlierSet",
    "Outliers",
    "ProfileOptions",
    "SeriesProfile",
    "StepCount",
    "TextStats",
    "Totals",
    "attach_ingest_counts",
    "merge_profiles",
    "profile_frame",
    "without_series",
]
