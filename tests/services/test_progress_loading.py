"""Goal progress reads only what compute_progress needs (the forecast window, the baseline and the
current value found by indexed lookups) — the results must equal compute_progress over the whole
history, for goals that start before, inside and after the data, in gaps, on one channel or all,
with levels, amounts and a ratio, judged before, during and after their deadline."""
from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from metrics_util import pt, with_points

D = dt.date.fromisoformat

# Irregular on purpose: gaps of weeks, a channel that starts late and stops early, a day where the
# ratio's denominator is 0 (engagement_rate undefined), amounts on days without levels.
POINTS = [
    *(pt("fb", "followers", (D("2023-10-01") + dt.timedelta(days=i)).isoformat(), 100 + 3 * i)
      for i in range(0, 40, 3)),
    *(pt("fb", "followers", (D("2024-01-10") + dt.timedelta(days=i)).isoformat(), 300 + 5 * i) for i in range(20)),
    *(pt("ig", "followers", (D("2023-12-20") + dt.timedelta(days=i)).isoformat(), 50 + i) for i in range(0, 30, 2)),
    *(pt("fb", "reach", (D("2023-11-01") + dt.timedelta(days=i)).isoformat(), 10 + i % 7) for i in range(0, 90, 4)),
    *(pt("ig", "reach", (D("2024-01-05") + dt.timedelta(days=i)).isoformat(), 20 + i % 5) for i in range(25)),
    pt("fb", "reach", "2024-01-31", 0),
    *(pt("fb", "engagements", (D("2023-11-01") + dt.timedelta(days=i)).isoformat(), 1 + i % 3)
      for i in range(0, 90, 4)),
    pt("fb", "engagements", "2024-01-31", 2),
]

KPIS = [  # metric, channel, aggregation, target, baseline
    ("followers", "all", "latest", 600, None),
    ("followers", "fb", "latest", 500, None),
    ("followers", "ig", "latest", 40, None),  # moving away from the target
    ("followers", "fb", "latest", 450, 120.0),  # explicit baseline
    ("reach", "all", "total", 900, None),
    ("reach", "ig", "total", 300, None),
    ("engagement_rate", "fb", "latest", 0.5, None),
    ("engagement_rate", "all", "latest", 0.01, None),
]
STARTS = [D("2023-09-01"), D("2023-12-01"), D("2024-01-15"), D("2024-03-01")]
SPANS = [20, 120]
AS_OF = [D("2023-09-15"), D("2024-01-02"), D("2024-01-25"), D("2024-02-20"), D("2025-01-01")]


@pytest.fixture
def data(app, client, tenant):
    return with_points(app, client, tenant, POINTS)


def goals_of(company_id):
    out = []
    for n, ((metric, channel, aggregation, target, baseline), start, span) in enumerate(
            itertools.product(KPIS, STARTS, SPANS)):
        out.append(SimpleNamespace(
            id=n, company_id=company_id, title=f"goal {n}", kpi_metric=metric, kpi_channel=channel,
            kpi_aggregation=aggregation, kpi_target=target, kpi_baseline=baseline, kpi_start_date=start,
            kpi_deadline=start + dt.timedelta(days=span)))
    return out


def test_progress_equals_compute_progress_over_the_whole_history(app, data):
    from backend.services import metrics
    from backend.services.progress import compute_progress, goal_progress_and_daily, goals_progress, kpi_of
    from backend.tenancy import Principal, acting_as

    t = data
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        first, last = metrics.data_range(t.company_a.id)
        goals = goals_of(t.company_a.id)
        history = {}
        reader = metrics.CompanyReader(t.company_a.id)
        for metric, channel, *_ in KPIS:
            history[(metric, channel)] = reader.daily([metric], channel, first, last)[metric]
        checked = set()
        for as_of in AS_OF:
            got = goals_progress(goals, as_of)
            for goal, progress in got:
                kpi = kpi_of(goal)
                expected = compute_progress(kpi, history[(goal.kpi_metric, goal.kpi_channel)], as_of)
                assert progress == expected, (goal, as_of)
                checked.add(expected["status"])
            for goal in goals[::7]:
                progress, daily = goal_progress_and_daily(goal, as_of)
                kpi = kpi_of(goal)
                full = history[(goal.kpi_metric, goal.kpi_channel)]
                assert progress == compute_progress(kpi, full, as_of)
                judged_on = min(as_of, goal.kpi_deadline)
                # The path: every value from the start up to the day judged on.
                assert [p for p in daily if p[0] >= goal.kpi_start_date] == [
                    p for p in full if goal.kpi_start_date <= p[0] <= judged_on]
    assert {"achieved", "missed", "not_started", "off_track"} <= checked


def test_a_shared_reader_reads_each_stretch_once(app, data, statements):
    """The dashboard opens the goal bars and the chosen goal's path from one set of readers: the
    path of a goal whose stretch the bars have read costs no read of metric points, and the
    results are the same as from fresh readers."""
    from backend.services.progress import goal_progress_and_daily, goals_progress
    from backend.tenancy import Principal, acting_as

    t = data
    as_of = D("2024-01-25")
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        goals = goals_of(t.company_a.id)
        with statements("metric_point") as reads:
            readers: dict = {}
            shared = goals_progress(goals, as_of, readers)
            total = next(g for g in goals if g.kpi_aggregation == "total" and g.kpi_start_date < as_of)
            reads.clear()
            path = goal_progress_and_daily(total, as_of, readers)
            assert not reads
            # A level goal's path is wider than what its bar read: read, but not the data range again.
            level = next(g for g in goals if g.kpi_aggregation == "latest" and g.kpi_start_date > D("2023-10-01")
                         and g.kpi_start_date < min(as_of, g.kpi_deadline) - dt.timedelta(days=40))
            reads.clear()
            level_path = goal_progress_and_daily(level, as_of, readers)
            assert reads and not [s for s in reads if "stored_metric" in s]  # the data range was read once
        assert shared == goals_progress(goals, as_of)
        assert path == goal_progress_and_daily(total, as_of)
        assert level_path == goal_progress_and_daily(level, as_of)
