"""How long the soak runs, how hard each load loop pushes, how much data it starts with, and the
targets of issue 19."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from ..config import MAIN_METRICS, Sizes

INTERVAL_SECONDS = 30  # one row of figures, one wrk slice

# The kinds of request, in the order of the table and the chart.
KINDS = ("read", "push", "dashboard", "csv_import", "webhook", "report_pdf")
KIND_LABELS = {"read": "API reads (wrk)", "push": "metric pushes", "dashboard": "dashboard callbacks",
               "csv_import": "CSV imports", "webhook": "webhook deliveries (publish → received)",
               "report_pdf": "report PDFs (request → stored)"}

MIB = 1024 * 1024
TARGETS = {
    "wal_max_bytes": 64 * MIB,  # the WAL under 64 MB during the run (SQLite) …
    "wal_after_bytes": 0,  # … and truncated after it
    "throughput_ratio_min": 0.90,  # last minute ≥ 90 % of the second minute
    "p99_ratio_max": 1.5,  # last minute's p99 ≤ 1.5× the second minute's
    "rss_growth_max": 0.10,  # each worker's RSS grows ≤ 10 % from the end of minute 2 to the end
    "dead_tuple_ratio_max": 0.10,  # PostgreSQL: metric_point's dead tuples ≤ 10 % of its live ones
    "consumer_rss_growth_max": 0.10,  # the job consumer's too
    "errors": 0,
    "webhooks_not_delivered": 0,  # every delivery sent by the end (after a drain) and received
    "lost_points": 0,
    "duplicated_points": 0,
}
# A kind's timing targets need this many requests in each compared minute (fewer: "n/a").
MIN_REQUESTS_PER_MINUTE = 20


@dataclass(frozen=True)
class SoakSettings:
    """One soak per database: ``minutes`` of mixed load after the set-up.

    Every loop is bounded three ways: by rate (at most one request per period; a late loop skips
    ahead instead of bursting), by count (the run's length over the period, plus one) and by time
    (it stops at the end of the run, or at once when the run is stopped).
    """

    minutes: float = 10.0
    quick: bool = False
    # The data the load starts on: the measured company (bench's channels and metrics; days up to
    # yesterday) among other companies, as in make bench.
    days: int = 2 * 365
    others: int = 200
    other_agencies: int = 20
    other_days: int = 365
    # Pushers: each owns a share of the company's channels and pushes, every push_period seconds,
    # new_days older days (a backfill: new points) and the latest corrected_days days of
    # corrected_metrics with new values (changed points).
    pushers: int = 2
    push_period: float = 1.0
    new_days: int = 2
    corrected_days: int = 7
    corrected_metrics: tuple[str, ...] = ("followers", "reach", "impressions", "engagements")
    # CSV imports, on channels of their own: every csv_period seconds, csv_new_days older days and
    # the latest corrected_days days of every metric.
    csv_channels: int = 2
    csv_period: float = 15.0
    csv_new_days: int = 7
    # Dashboard: one logged-in person opens the company page every dashboard_period seconds.
    dashboard_period: float = 1.0
    # wrk: one thread pinned to its own core, a few keep-alive connections, a pause between a
    # response and the next request on the same connection.
    # Jobs (the consumer beside gunicorn): a report and its PDF every report_period seconds; each
    # push and import publishes a webhook to the soak's receiver.
    report_period: float = 30.0
    wrk_connections: int = 2
    wrk_think_ms: int = 100
    wrk_timeout_s: int = 10

    @classmethod
    def full(cls, minutes: float = 10.0) -> SoakSettings:
        return cls(minutes=minutes)

    @classmethod
    def quick_check(cls) -> SoakSettings:
        """One minute on small data: checks that the soak and the app hold together, not timings."""
        return cls(minutes=1.0, quick=True, days=365, others=10, other_agencies=2, other_days=60, report_period=20.0)

    def with_minutes(self, minutes: float) -> SoakSettings:
        return replace(self, minutes=minutes)

    @property
    def intervals(self) -> int:
        return max(1, math.ceil(self.minutes * 60 / INTERVAL_SECONDS))

    @property
    def seconds(self) -> int:
        return self.intervals * INTERVAL_SECONDS

    @property
    def sizes(self) -> Sizes:
        """bench's Sizes for the set-up (bench/dataset.py): all ten channels and twelve metrics."""
        return Sizes(days=self.days, others=self.others, other_agencies=self.other_agencies,
                     other_days=self.other_days)

    @property
    def metrics(self) -> tuple[str, ...]:
        return MAIN_METRICS

    def bound(self, period: float) -> int:
        """The most requests a loop of this period sends in one run."""
        return int(self.seconds / period) + 1

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(intervals=self.intervals, seconds=self.seconds, interval_seconds=INTERVAL_SECONDS)
        return d
