"""Evaluating alert rules (backend/services/alert_evaluation.py) with a frozen clock (the day
judged is ``as_of``) and known series, for every kind: it fires exactly at the transition, is
quiet on a backfill of old data, fires once when two consumers evaluate at once, and a retry (the
same evaluation again) adds nothing."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

TODAY = dt.date(2026, 9, 1)  # the frozen "today"; pushes up to real today are valid


def day(n: int) -> dt.date:
    """``n`` days before TODAY."""
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def acme(app, tenant):
    """Company A of one agency with channels fb and ig, and no rules but those a test adds."""
    from backend.extensions import db
    from backend.models import AlertRule
    from backend.services.channels import create_channel

    with app.app_context(), _system(tenant):
        create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
        create_channel(tenant.company_a.id, {"key": "ig", "platform": "instagram"})
        for rule in db.session.scalars(select(AlertRule)):
            db.session.delete(rule)  # the defaults: each test adds the rule it is about
        db.session.commit()
    return tenant


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def rule(app, tenant, kind, params, **extra):
    from backend.services.alert_rules import create_rule

    with app.app_context(), _system(tenant):
        return create_rule(tenant.company_a.id, {"kind": kind, "params": params, **extra}).id


def push(app, tenant, points):
    from backend.services.metrics import push_points

    with app.app_context(), _system(tenant):
        push_points(tenant.company_a.id, [{"channel": c, "metric": m, "date": d.isoformat(), "value": v}
                                          for c, m, d, v in points])


def evaluate(app, tenant, as_of=TODAY):
    from backend.services.alert_evaluation import evaluate_company

    with app.app_context(), _system(tenant):
        return [(a.kind, a.event_key, a.object_id, dict(a.seen)) for a in
                evaluate_company(tenant.company_a.id, as_of=as_of)]


def stored(app, tenant):
    from backend.extensions import db
    from backend.models import Alert

    with app.app_context(), _system(tenant):
        return [(a.kind, a.event_key, a.day, a.link, a.severity) for a in
                db.session.scalars(select(Alert).order_by(Alert.created_at, Alert.event_key))]


def twice_at_once(app, tenant, as_of=TODAY):
    """Two consumers evaluating the company at the same moment: how many alerts each inserted."""
    start = threading.Barrier(2)
    counts, errors = [], []

    def consumer():
        try:
            start.wait()
            counts.append(len(evaluate(app, tenant, as_of)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return sorted(counts)


# --- stale data -------------------------------------------------------------------------------

def test_stale_data_fires_the_day_after_n_quiet_days_and_once_per_stretch(app, acme):
    rule(app, acme, "stale_data", {"days": 3})
    push(app, acme, [("fb", "followers", day(10), 100), ("ig", "followers", day(3), 50)])
    last = day(10)
    assert evaluate(app, acme, last + dt.timedelta(days=3)) == []  # 3 days quiet: not yet (as the portfolio)
    fired = evaluate(app, acme, last + dt.timedelta(days=4))
    assert [(k, key) for k, key, _, _ in fired] == [("stale_data", f"stale:fb:{last.isoformat()}")]
    assert fired[0][3] == {"channel": "fb", "last_date": last.isoformat(), "days_quiet": 4, "stale_after_days": 3,
                           "on": (last + dt.timedelta(days=4)).isoformat()}
    assert evaluate(app, acme, last + dt.timedelta(days=5)) == []  # still the same stretch
    assert evaluate(app, acme, TODAY) == []  # ig: its last point is 3 days old
    # New data ends the stretch; the next quiet stretch fires again.
    push(app, acme, [("fb", "followers", day(0), 101)])
    assert evaluate(app, acme, TODAY) == []
    assert [k for _, k, _, _ in evaluate(app, acme, TODAY + dt.timedelta(days=1))] == [
        f"stale:ig:{day(3).isoformat()}"]
    assert evaluate(app, acme, TODAY + dt.timedelta(days=3)) == []
    assert [k for _, k, _, _ in evaluate(app, acme, TODAY + dt.timedelta(days=4))] == [
        f"stale:fb:{TODAY.isoformat()}"]
    links = {a[1]: a[3] for a in stored(app, acme)}
    assert links[f"stale:fb:{last.isoformat()}"] == f"/dashboard/company/{acme.company_a.id}?channel=fb"


def test_stale_data_is_quiet_on_a_backfill_of_old_days(app, acme):
    rule(app, acme, "stale_data", {"days": 3})
    push(app, acme, [("fb", "followers", day(1), 100)])
    # Last year, with gaps of weeks between points: none of those old stretches fires.
    push(app, acme, [("fb", "followers", day(365 - 30 * i), 50 + i) for i in range(10)])
    assert evaluate(app, acme) == []
    assert stored(app, acme) == []


def test_stale_data_fires_once_under_two_consumers_and_a_retry(app, acme):
    rule(app, acme, "stale_data", {"days": 3})
    push(app, acme, [("fb", "followers", day(5), 100)])
    assert twice_at_once(app, acme) == [0, 1]
    assert evaluate(app, acme) == []  # the retry
    assert len(stored(app, acme)) == 1


# --- threshold --------------------------------------------------------------------------------

def test_threshold_fires_on_the_day_it_is_crossed_and_once_per_day_while_it_lasts(app, acme):
    rule(app, acme, "threshold", {"metric": "mentions_negative", "channel": "fb", "direction": "above",
                                  "value": 10, "period": "day"})
    push(app, acme, [("fb", "mentions_negative", day(3), 4), ("fb", "mentions_negative", day(2), 10)])
    assert evaluate(app, acme, day(2)) == []  # 10 is not above 10
    push(app, acme, [("fb", "mentions_negative", day(1), 11)])
    fired = evaluate(app, acme, day(1))
    assert [key for _, key, _, _ in fired] == [f"threshold:fb:mentions_negative:day:{day(1).isoformat()}"]
    assert fired[0][3]["value"] == 11 and fired[0][3]["threshold"] == 10
    assert evaluate(app, acme, day(1)) == []  # the same day again
    push(app, acme, [("fb", "mentions_negative", day(0), 12)])
    assert len(evaluate(app, acme, TODAY)) == 1  # a lasting condition: once a day
    push(app, acme, [("fb", "mentions_negative", day(0), 3)])  # corrected below it: nothing new
    assert evaluate(app, acme, TODAY) == []
    assert len(stored(app, acme)) == 2


def test_threshold_per_week_below_on_all_channels(app, acme):
    rule(app, acme, "threshold", {"metric": "reach", "channel": "all", "direction": "below",
                                  "value": 100, "period": "week"})
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    push(app, acme, [("fb", "reach", monday, 60), ("ig", "reach", monday, 50)])
    assert evaluate(app, acme, monday) == []  # 110 this week: not below 100
    push(app, acme, [("fb", "reach", monday, 30)])  # corrected: 80
    fired = evaluate(app, acme, monday)
    assert [key for _, key, _, _ in fired] == [f"threshold:all:reach:week:{monday.isoformat()}"]
    assert fired[0][3]["value"] == 80
    assert evaluate(app, acme, monday + dt.timedelta(days=1)) == []  # once per week


def test_threshold_is_quiet_on_a_backfill_of_old_days(app, acme):
    rule(app, acme, "threshold", {"metric": "mentions_negative", "channel": "all", "direction": "above",
                                  "value": 10, "period": "day"})
    push(app, acme, [("fb", "mentions_negative", day(1), 2)])
    push(app, acme, [("fb", "mentions_negative", day(300 + i), 50) for i in range(30)])
    assert evaluate(app, acme) == []
    # Only old data (nothing in the last week): no current value, no alert.
    rule(app, acme, "threshold", {"metric": "reach", "channel": "ig", "direction": "above", "value": 1})
    push(app, acme, [("ig", "reach", day(200), 500)])
    assert evaluate(app, acme) == []


def test_threshold_fires_once_under_two_consumers_and_a_retry(app, acme):
    rule(app, acme, "threshold", {"metric": "mentions_negative", "channel": "all", "direction": "above",
                                  "value": 10})
    push(app, acme, [("fb", "mentions_negative", day(0), 20)])
    assert twice_at_once(app, acme) == [0, 1]
    assert evaluate(app, acme) == []
    assert len(stored(app, acme)) == 1


# --- spike ------------------------------------------------------------------------------------

def _calm(channel="fb", metric="mentions_negative", value=5, start=1, days=28):
    return [(channel, metric, day(start + i), value) for i in range(days)]


def test_spike_fires_when_the_day_reaches_k_times_the_median_and_the_minimum(app, acme):
    from backend.services.alert_rules import CRISIS_WATCH

    rule(app, acme, "spike", CRISIS_WATCH["params"], name="Crisis watch", severity="critical")
    push(app, acme, _calm(value=5, start=1))
    push(app, acme, [("fb", "mentions_negative", day(0), 14)])
    assert evaluate(app, acme) == []  # under 3 × 5 and under 20
    push(app, acme, [("fb", "mentions_negative", day(0), 19)])
    assert evaluate(app, acme) == []  # 3× the median, but under the minimum of 20
    push(app, acme, [("fb", "mentions_negative", day(0), 21)])
    fired = evaluate(app, acme)
    assert [key for _, key, _, _ in fired] == [f"spike:all:mentions_negative:{TODAY.isoformat()}"]
    assert fired[0][3] == {"metric": "mentions_negative", "channel": "all", "day": TODAY.isoformat(), "value": 21,
                           "median_28_days": 5, "factor": 3.0, "minimum": 20}
    assert stored(app, acme)[0][4] == "critical"
    assert evaluate(app, acme) == []
    # A busier baseline: 21 is no spike against a median of 10.
    push(app, acme, _calm(value=10, start=1))
    assert evaluate(app, acme) == []


def test_spike_is_quiet_on_a_backfill_of_old_days(app, acme):
    rule(app, acme, "spike", {"metric": "mentions_negative", "channel": "all", "factor": 3, "minimum": 20})
    push(app, acme, _calm(value=5, start=0, days=29))
    # Last year's crisis weeks, imported now: old days are not judged.
    push(app, acme, [("fb", "mentions_negative", day(360 + i), 400) for i in range(5)])
    assert evaluate(app, acme) == []
    assert stored(app, acme) == []


def test_spike_fires_once_under_two_consumers_and_a_retry(app, acme):
    rule(app, acme, "spike", {"metric": "mentions_negative", "channel": "fb", "factor": 3, "minimum": 20})
    push(app, acme, _calm(value=5, start=1) + [("fb", "mentions_negative", day(0), 40)])
    assert twice_at_once(app, acme) == [0, 1]
    assert evaluate(app, acme) == []
    assert len(stored(app, acme)) == 1


# --- goal status ------------------------------------------------------------------------------

def make_goal(app, tenant, **kpi):
    from backend.services.goals import create_goal

    with app.app_context(), _system(tenant):
        return create_goal(tenant.company_a.id, {"title": "Grow followers", "kpi": {
            "metric": "followers", "channel": "fb", "baseline": 0, "target": 1000,
            "start_date": day(60).isoformat(), "deadline": (TODAY + dt.timedelta(days=60)).isoformat(), **kpi}}).id


def marks(app, tenant):
    from backend.extensions import db
    from backend.models import GoalStatusMark

    with app.app_context(), _system(tenant):
        return [(m.status, m.since) for m in db.session.scalars(select(GoalStatusMark))]


def _followers(values, start):
    """Daily followers on fb from ``start`` days ago, one value a day."""
    return [("fb", "followers", day(start - i), v) for i, v in enumerate(values)]


def test_goal_status_first_judgement_records_the_mark_without_an_alert(app, acme):
    rule(app, acme, "goal_status", {})
    make_goal(app, acme)
    # On track: from 0 to 500 over 60 days, 500 to go in 60 days.
    push(app, acme, _followers([round(500 * i / 60) for i in range(61)], 60))
    assert evaluate(app, acme, TODAY) == []
    assert marks(app, acme) == [("on_track", TODAY)]


@pytest.fixture
def published(monkeypatch):
    """The webhook events the evaluation publishes (backend/services/webhooks.py ``publish``)."""
    from backend.services import webhooks

    events = []
    def publish(event, payload, *, company_id):
        if event in ("alert.created", "goal.status_changed"):  # not the push's metrics.pushed
            events.append((event, payload))

    monkeypatch.setattr(webhooks, "publish", publish)
    return events


def status_on(app, tenant, goal_id, as_of):
    from backend.extensions import db
    from backend.models import Goal
    from backend.services.progress import goal_progress

    with app.app_context(), _system(tenant):
        return goal_progress(db.session.get(Goal, goal_id), as_of)["status"]


def test_goal_status_fires_exactly_on_the_day_a_goal_moves_into_a_watched_status(app, acme, published):
    rule(app, acme, "goal_status", {})  # the default statuses: at_risk, off_track, missed, achieved
    goal = make_goal(app, acme)
    # 10 followers a day for 60 days (600 of 1000, 60 days to go: on track), then nothing new.
    push(app, acme, _followers([10 * i for i in range(61)], 60)
         + [("fb", "followers", TODAY + dt.timedelta(days=i), 600) for i in range(1, 41)])
    assert evaluate(app, acme, TODAY) == [] and marks(app, acme) == [("on_track", TODAY)]
    seen, changes = [], []
    status = "on_track"
    for n in range(1, 41):
        on = TODAY + dt.timedelta(days=n)
        fired = evaluate(app, acme, on)
        now = status_on(app, acme, goal, on)
        if now != status:
            changes.append((on, status, now))
        status = now
        seen += [(on, key, s["from"], s["to"]) for _, key, _, s in fired]
    # The pace fades: at risk, then off track — each alerted on the very day it changed, once.
    assert [c[2] for c in changes] == ["at_risk", "off_track"]
    assert seen == [(on, f"goal:{goal}:{to}:{on.isoformat()}", before, to) for on, before, to in changes]
    assert [(e, p["from"], p["to"]) for e, p in published if e == "goal.status_changed"] == [
        ("goal.status_changed", c[1], c[2]) for c in changes]
    assert [p["kind"] for e, p in published if e == "alert.created"] == ["goal_status", "goal_status"]
    assert marks(app, acme) == [("off_track", changes[-1][0])]
    links = {a[3] for a in stored(app, acme)}
    assert links == {f"/dashboard/company/{acme.company_a.id}?goal={goal}"}


def test_goal_status_changes_outside_the_rules_statuses_publish_but_do_not_alert(app, acme, published):
    rule(app, acme, "goal_status", {"statuses": ["achieved"]})
    make_goal(app, acme)
    push(app, acme, _followers([10 * i for i in range(61)], 60)
         + [("fb", "followers", TODAY + dt.timedelta(days=i), 600) for i in range(1, 41)])
    evaluate(app, acme, TODAY)
    assert all(evaluate(app, acme, TODAY + dt.timedelta(days=n)) == [] for n in range(1, 41))
    assert [p["to"] for e, p in published if e == "goal.status_changed"] == ["at_risk", "off_track"]
    push(app, acme, [("fb", "followers", TODAY + dt.timedelta(days=41), 1000)])
    fired = evaluate(app, acme, TODAY + dt.timedelta(days=41))
    assert [s["to"] for _, _, _, s in fired] == ["achieved"]


def test_goal_status_is_quiet_on_a_backfill_of_old_days(app, acme, published):
    rule(app, acme, "goal_status", {})
    make_goal(app, acme)
    push(app, acme, _followers([10 * i for i in range(31)], 30))
    assert evaluate(app, acme, TODAY) == []  # the first judgement: the mark only
    # Last year's history (before the goal's start): the current status does not change.
    push(app, acme, [("fb", "followers", day(300 + i), 5000) for i in range(20)])
    assert status_on(app, acme, make_goal(app, acme, target=2000), TODAY)  # a second goal, judged below
    assert evaluate(app, acme, TODAY) == []
    assert stored(app, acme) == [] and [e for e, _ in published] == []


def test_goal_status_fires_once_under_two_consumers_and_a_retry(app, acme, published):
    rule(app, acme, "goal_status", {})
    make_goal(app, acme)
    push(app, acme, _followers([10 * i for i in range(61)], 60))
    evaluate(app, acme, TODAY)
    # Overnight the figures are corrected to a standstill: off track.
    push(app, acme, [("fb", "followers", day(i), 100) for i in range(0, 40)])
    assert twice_at_once(app, acme) == [0, 1]
    assert evaluate(app, acme) == []
    assert len(stored(app, acme)) == 1
    assert len([e for e, _ in published if e == "goal.status_changed"]) == 1
