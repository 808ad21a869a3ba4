"""The metrics service: push (upsert) daily points, read them back bucketed, summaries, the
portfolio rows, CSV import/export. Used by the API, the CLI, goal progress and the dashboard.

Rules worth knowing (also in the README, section "metrics"):

- A point is one daily value of a stored metric (gauge or flow) on one channel; the natural key
  is (agency, company, channel, metric, date). Pushing upserts: the last write wins, an equal
  value counts as ``unchanged`` and is not rewritten.
- Buckets (``day``, ``week``, ``month``) are computed in SQL and labelled by their first day
  (ISO weeks start on Monday). In a bucket a flow is the sum of its days, a gauge its last value;
  ratio metrics (engagement_rate, cost_per_1k_reach, roi, sentiment_score) are computed from the
  bucket's sums of their inputs and are left out where undefined (e.g. no reach).
- ``follower_growth`` of a channel in a bucket = its last followers value in the bucket minus its
  last value before the bucket (or, when it has none before, its first value inside the bucket:
  a newly connected channel is not growth). For several channels it is the sum of their growths.
- ``channel="all"``: flows are summed over channels; a gauge is the sum over channels of each
  channel's last known value up to the end of the bucket (carried forward from before the
  bucket, and from before the requested range, when it has none inside). Buckets with no point
  of that metric on any channel are left out.

Reads name MetricPoint through ORM attributes, so the scoping hook filters them; they also state
the agency and company explicitly, so that the indexes leading with (agency_id, company_id) are
used.

The package, by concern: ``validation`` (the point validator), ``write`` (push, upsert, per
dialect SQL), ``csvio`` (CSV import and export), ``statements`` (the SQL of the reads),
``assembly`` (pure: plans, growth, carried sums, derived series), ``reads`` (series, summary,
data range), ``reader`` (``CompanyReader``), ``portfolio`` and ``correct`` (stored points listed and
deleted: a day, a range or a whole series). Callers import from the package.
"""
from .assembly import reads_levels
from .correct import PointSelection, StoredPoint, StoredPoints, delete_points, range_words, stored_points
from .coverage import reported_days
from .csvio import export_csv, import_csv
from .portfolio import portfolio
from .reader import CompanyReader
from .reads import (
    GRANULARITIES,
    bucket_count,
    comparison_period,
    data_range,
    previous_period,
    read_series,
    series_points,
    summary,
    year_earlier,
)
from .statements import bucket_start
from .write import MAX_POINTS_PER_PUSH, push_points

__all__ = [
    "GRANULARITIES", "MAX_POINTS_PER_PUSH", "CompanyReader", "PointSelection", "StoredPoint", "StoredPoints",
    "bucket_count", "bucket_start", "comparison_period", "data_range", "delete_points", "export_csv",
    "import_csv", "portfolio", "previous_period", "push_points", "range_words", "read_series", "year_earlier",
    "reads_levels", "reported_days", "series_points", "stored_points", "summary",
]
