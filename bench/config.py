"""Sizes of the benchmark data and the targets from issue 4 (ingest, query) and issue 5 (dashboard)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# The measured company's stored metrics: every input of the dashboard's KPI cards is there.
MAIN_METRICS = (
    "followers", "reach", "impressions", "engagements", "likes", "comments", "shares",
    "clicks", "mentions", "mentions_positive", "mentions_negative", "spend",
)
MAIN_CHANNELS = (  # (key, platform)
    ("facebook", "facebook"), ("instagram", "instagram"), ("x", "x"), ("linkedin", "linkedin"),
    ("youtube", "youtube"), ("tiktok", "tiktok"), ("blog", "blog"), ("x-support", "x"),
    ("slideshare", "slideshare"), ("yammer", "yammer"),
)
OTHER_METRICS = ("followers", "reach", "engagements")

# The read measured: one year by week, all channels combined.
READ_METRICS = ("followers", "reach", "engagement_rate")

TARGETS = {
    "ingest_fresh": 0.35,  # API points/s ≥ 35% of the raw insert
    "ingest_repush": 0.25,  # ≥ 25%
    "query_vs_raw": 3.0,  # p95 ≤ 3× the raw SQL
    "crowded_vs_empty": 0.20,  # p95 within ±20% between the empty and the crowded database
    "dashboard_p95_ms": 150.0,
    "search_p95_ms": 50.0,  # issue 18: 10,000 mentions searched in under 50 ms at p95
}


@dataclass(frozen=True)
class Sizes:
    """How much data and how many repetitions; ``full()`` is ``make bench``, ``smoke()`` the test."""

    channels: int = 10
    metrics: tuple[str, ...] = MAIN_METRICS
    days: int = 3 * 365 + 1
    batch: int = 10_000
    others: int = 1_000
    other_agencies: int = 100  # the others are spread over this many agencies (the first is the main one)
    other_channels: int = 2
    other_metrics: tuple[str, ...] = OTHER_METRICS
    other_days: int = 90  # 540,000 points: 4× the measured company, loadable in the time budget
    warmup: int = 5
    iterations: int = 60  # timed rounds per query phase, at most …
    min_iterations: int = 15  # … and at least, stopping after query_seconds
    query_seconds: float = 15.0
    dashboard_iterations: int = 40  # 8 views of each kind: the p95 is the 39th of 40, not the 14th of 15
    search_mentions: int = 10_000  # the company's mentions searched (bench/search_bench.py)
    search_other_mentions: int = 20_000  # other companies' mentions in the same index …
    search_other_companies: int = 100  # … spread over this many of them
    search_iterations: int = 40  # rounds of the five queries
    extra: dict = field(default_factory=dict)

    @classmethod
    def full(cls) -> Sizes:
        return cls()

    @classmethod
    def smoke(cls) -> Sizes:
        return cls(channels=2, metrics=("followers", "reach", "engagements", "spend"), days=2 * 364 + 14,
                   batch=500, others=4, other_agencies=2, other_days=30, warmup=1, iterations=3, min_iterations=3,
                   dashboard_iterations=2, search_mentions=400, search_other_mentions=200, search_other_companies=2,
                   search_iterations=2)

    @property
    def main_points(self) -> int:
        return self.channels * len(self.metrics) * self.days

    @property
    def other_points(self) -> int:
        return self.others * self.other_channels * len(self.other_metrics) * self.other_days

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(main_points=self.main_points, other_points=self.other_points)
        return d
