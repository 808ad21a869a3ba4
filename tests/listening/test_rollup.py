"""The roll-up of mention records into the daily metrics, and the rule "records win for the days
they cover" in the metrics push and CSV import (backend/services/listening/rollup.py)."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from listening.rollup_world import add_channels, as_system, insert, new_mention, stored

D1, D2, D3 = dt.date(2024, 3, 4), dt.date(2024, 3, 5), dt.date(2024, 3, 6)
MENTION_METRICS = ("mentions", "mentions_positive", "mentions_neutral", "mentions_negative", "response_time_minutes")


def at(day: dt.date, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)


@pytest.fixture
def world(app, tenant):
    channels = add_channels(app, tenant)
    return tenant, channels


def _push(client, tenant, points):
    return client.post(f"/api/v1/companies/{tenant.company_a.id}/metrics", data=json.dumps({"points": points}),
                       headers={"Content-Type": "application/json",
                                "Authorization": f"Bearer {tenant.keys['write']}"})


def _pt(channel, metric, day, value):
    return {"channel": channel, "metric": metric, "date": day.isoformat(), "value": value}


def test_counts_per_sentiment_and_the_median_answer_time(app, world):
    tenant, ch = world
    cid = tenant.company_a.id
    insert(app, tenant, [
        new_mention(cid, ch["fb"], at(D1, 9), sentiment="positive", answered_at=at(D1, 9, 10)),  # 10 min
        new_mention(cid, ch["fb"], at(D1, 10), sentiment="negative", answered_at=at(D1, 10, 30)),  # 30 min
        new_mention(cid, ch["fb"], at(D1, 11), sentiment="negative", answered_at=at(D1, 13)),  # 120 min
        new_mention(cid, ch["fb"], at(D1, 12), sentiment="negative"),  # not answered: not in the median
        new_mention(cid, ch["ig"], at(D2, 8), sentiment="neutral"),
    ])
    points = stored(app, tenant)
    d1, d2 = D1.isoformat(), D2.isoformat()
    assert points == {
        ("fb", "mentions", d1): 4, ("fb", "mentions_positive", d1): 1, ("fb", "mentions_neutral", d1): 0,
        ("fb", "mentions_negative", d1): 3, ("fb", "response_time_minutes", d1): 30,
        # No answered mention: no response time for that channel-day.
        ("ig", "mentions", d2): 1, ("ig", "mentions_positive", d2): 0, ("ig", "mentions_neutral", d2): 1,
        ("ig", "mentions_negative", d2): 0,
    }


def test_median_of_an_even_count_and_an_answer_stamped_before_the_mention(app, world):
    tenant, ch = world
    cid = tenant.company_a.id
    insert(app, tenant, [
        new_mention(cid, ch["fb"], at(D1, 9), answered_at=at(D1, 9, 10)),  # 10
        new_mention(cid, ch["fb"], at(D1, 10), answered_at=at(D1, 9, 0)),  # before it: 0
        new_mention(cid, ch["fb"], at(D1, 11), answered_at=at(D1, 11, 45)),  # 45
        new_mention(cid, ch["fb"], at(D1, 12), answered_at=at(D1, 12, 20)),  # 20
    ])
    assert stored(app, tenant, metrics=["response_time_minutes"]) == {("fb", "response_time_minutes", "2024-03-04"): 15}


def test_a_channel_day_that_lost_its_last_record_counts_zero_without_a_response_time(app, world):
    from sqlalchemy import delete

    from backend.extensions import db
    from backend.models import Mention
    from backend.services.listening import rollup

    tenant, ch = world
    cid = tenant.company_a.id
    seqs = insert(app, tenant, [new_mention(cid, ch["fb"], at(D1), sentiment="negative", answered_at=at(D1, 10)),
                                new_mention(cid, ch["fb"], at(D2), sentiment="positive")])
    assert stored(app, tenant)[("fb", "response_time_minutes", D1.isoformat())] == 60
    with as_system(app, tenant):
        db.session.execute(delete(Mention).where(Mention.seq == seqs[0]))
        assert rollup.refresh(cid, {(ch["fb"], D1)}) == 1
        db.session.commit()
    points = stored(app, tenant)
    assert {k: v for k, v in points.items() if k[2] == D1.isoformat()} == {
        ("fb", "mentions", "2024-03-04"): 0, ("fb", "mentions_positive", "2024-03-04"): 0,
        ("fb", "mentions_neutral", "2024-03-04"): 0, ("fb", "mentions_negative", "2024-03-04"): 0}
    assert points[("fb", "mentions_positive", D2.isoformat())] == 1  # the other day untouched


def test_unanswering_the_last_answered_mention_removes_the_response_time(app, world):
    from sqlalchemy import update

    from backend.extensions import db
    from backend.models import Mention
    from backend.services.listening import rollup

    tenant, ch = world
    cid = tenant.company_a.id
    seqs = insert(app, tenant, [new_mention(cid, ch["fb"], at(D1), answered_at=at(D1, 9, 5)),
                                new_mention(cid, ch["fb"], at(D1, 10))])
    assert stored(app, tenant, metrics=["response_time_minutes"]) == {("fb", "response_time_minutes", "2024-03-04"): 5}
    with as_system(app, tenant):
        db.session.execute(update(Mention).where(Mention.seq == seqs[0]).values(answered_at=None))
        rollup.refresh(cid, {(ch["fb"], D1)})
        db.session.commit()
    assert stored(app, tenant, metrics=["response_time_minutes"]) == {}
    assert stored(app, tenant, metrics=["mentions"]) == {("fb", "mentions", "2024-03-04"): 2}


def test_refresh_writes_exactly_its_keys(app, client, world):
    """Pushed counts of other channel-days, also of the same channels and days, are untouched."""
    from backend.extensions import db
    from backend.services.listening import rollup

    tenant, ch = world
    cid = tenant.company_a.id
    r = _push(client, tenant, [_pt("fb", "mentions", D2, 7), _pt("ig", "mentions", D1, 8),
                               _pt("ig", "response_time_minutes", D1, 12)])
    assert r.status_code == 200, r.json
    insert(app, tenant, [new_mention(cid, ch["fb"], at(D1)), new_mention(cid, ch["ig"], at(D2))], refresh=False)
    with as_system(app, tenant):
        assert rollup.refresh(cid, {(ch["fb"], D1), (ch["ig"], D2)}) == 2
        db.session.commit()
    points = stored(app, tenant, metrics=["mentions", "response_time_minutes"])
    assert points == {("fb", "mentions", "2024-03-04"): 1, ("fb", "mentions", "2024-03-05"): 7,
                      ("ig", "mentions", "2024-03-04"): 8, ("ig", "response_time_minutes", "2024-03-04"): 12,
                      ("ig", "mentions", "2024-03-05"): 1}


def test_another_companys_channel_is_ignored(app, world):
    from backend.extensions import db
    from backend.services.listening import rollup

    tenant, ch = world
    other = add_channels(app, tenant, keys=("tw",), company=tenant.company_b)
    insert(app, tenant, [new_mention(tenant.company_b.id, other["tw"], at(D1))], company=tenant.company_b)
    with as_system(app, tenant):
        assert rollup.refresh(tenant.company_a.id, {(other["tw"], D1)}) == 0
        db.session.commit()
    assert stored(app, tenant) == {}
    assert stored(app, tenant, company=tenant.company_b)[("tw", "mentions", "2024-03-04")] == 1


def test_a_batch_of_a_thousand_mentions_takes_a_few_statements(app, world, statements):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Mention
    from backend.services.listening import rollup

    tenant, ch = world
    cid = tenant.company_a.id
    start = dt.datetime(2023, 1, 1, 12)
    rows = [new_mention(cid, ch["fb" if i % 3 else "ig"], start + dt.timedelta(hours=7 * i),
                        sentiment=("positive", "neutral", "negative")[i % 3],
                        answered_at=start + dt.timedelta(hours=7 * i, minutes=i % 50) if i % 2 else None)
            for i in range(1000)]
    insert(app, tenant, rows, refresh=False)
    keys = {(m.channel_id, m.day) for m in rows}
    with as_system(app, tenant), statements() as seen:
        assert rollup.refresh(cid, keys) == len(keys)
        db.session.commit()
    mention_reads = [s for s in seen if "FROM mention" in s]
    writes = [s for s in seen if "metric_point" in s]
    assert len(mention_reads) == 2, mention_reads  # counts grouped, answered pairs
    assert len(writes) <= 4, writes  # (SQLite: the stored values read, one upsert; and one delete)
    points = stored(app, tenant, metrics=["mentions"])
    assert sum(points.values()) == 1000
    with as_system(app, tenant):
        by_day = {}
        for m in db.session.scalars(select(Mention)):
            by_day[(m.channel_id, m.day)] = by_day.get((m.channel_id, m.day), 0) + 1
    names = {v: k for k, v in ch.items()}
    assert points == {(names[c], "mentions", d.isoformat()): n for (c, d), n in by_day.items()}


# ---------------------------------------------------------------------------------------------
# Records win for the days they cover: pushes and imports of the five metrics
# ---------------------------------------------------------------------------------------------


def test_a_push_of_mention_metrics_for_a_covered_day_is_not_stored_and_is_counted(app, client, world):
    tenant, ch = world
    cid = tenant.company_a.id
    insert(app, tenant, [new_mention(cid, ch["fb"], at(D1), sentiment="negative", answered_at=at(D1, 9, 30))])
    batch = [_pt("fb", "mentions", D1, 99), _pt("fb", "mentions_negative", D1, 50),
             _pt("fb", "response_time_minutes", D1, 5), _pt("fb", "reach", D1, 1000),  # reach is not a record metric
             _pt("fb", "mentions", D2, 7), _pt("ig", "mentions", D1, 3)]  # days without records
    r = _push(client, tenant, batch)
    assert r.status_code == 200, r.json
    assert r.json == {"received": 6, "created": 3, "updated": 0, "unchanged": 0, "kept_from_mentions": 3}
    points = stored(app, tenant)
    assert points[("fb", "mentions", "2024-03-04")] == 1
    assert points[("fb", "mentions_negative", "2024-03-04")] == 1
    assert points[("fb", "response_time_minutes", "2024-03-04")] == 30
    assert points[("fb", "reach", "2024-03-04")] == 1000
    assert points[("fb", "mentions", "2024-03-05")] == 7
    assert points[("ig", "mentions", "2024-03-04")] == 3
    # A later mention on a day with pushed counts: the records win from then on.
    insert(app, tenant, [new_mention(cid, ch["fb"], at(D2), sentiment="positive")])
    assert stored(app, tenant)[("fb", "mentions", "2024-03-05")] == 1
    # A push with nothing but kept values writes nothing (and records no audit entry).
    r = _push(client, tenant, [_pt("fb", "mentions", D2, 70)])
    assert r.json == {"received": 1, "created": 0, "updated": 0, "unchanged": 0, "kept_from_mentions": 1}
    assert stored(app, tenant)[("fb", "mentions", "2024-03-05")] == 1


def test_a_push_without_covered_days_answers_as_before(app, client, world):
    tenant, _ = world
    r = _push(client, tenant, [_pt("fb", "mentions", D1, 4), _pt("fb", "reach", D1, 10)])
    assert r.json == {"received": 2, "created": 2, "updated": 0, "unchanged": 0}


def test_csv_import_and_its_check_keep_the_records_values(app, world, login_as):
    tenant, ch = world
    cid = tenant.company_a.id
    insert(app, tenant, [new_mention(cid, ch["fb"], at(D1)), new_mention(cid, ch["fb"], at(D1, 11))])
    body = "date,channel,metric,value\n2024-03-04,fb,mentions,40\n2024-03-04,fb,reach,9\n2024-03-05,fb,mentions,6\n"
    from backend.services import metrics

    with as_system(app, tenant):
        check = metrics.import_csv(cid, io.StringIO(body), dry_run=True)
    assert (check["created"], check["kept_from_mentions"], check["received"]) == (2, 1, 3)
    headers = {"Authorization": f"Bearer {tenant.keys['write']}", "Content-Type": "text/csv"}
    r = app.test_client().post(f"/api/v1/companies/{cid}/metrics/import", data=body, headers=headers)
    assert r.status_code == 200, r.json
    assert r.json == {"rows": 3, "received": 3, "created": 2, "updated": 0, "unchanged": 0, "kept_from_mentions": 1}
    points = stored(app, tenant)
    assert points[("fb", "mentions", "2024-03-04")] == 2
    assert points[("fb", "mentions", "2024-03-05")] == 6
    # The admin page says what was kept.
    owner = login_as(tenant, "owner")
    page = owner.post(f"/manage/companies/{cid}/data/csv", data={"file": (io.BytesIO(body.encode()), "m.csv")},
                      content_type="multipart/form-data")
    assert "kept from mention records" in page.get_data(as_text=True)


def test_channels_together_answer_the_mean_of_their_median_answer_times_not_the_sum(app, client, world):
    """``response_time_minutes`` is a median per channel and day: medians do not add up, so the
    company's value (no channel) is their mean in the series, the summary and a goal alike."""
    tenant, ch = world
    cid = tenant.company_a.id
    insert(app, tenant, [
        new_mention(cid, ch["fb"], at(D1, 9), answered_at=at(D1, 9, 10)),  # fb: 10 min
        new_mention(cid, ch["ig"], at(D1, 9), answered_at=at(D1, 9, 30)),  # ig: 30 min
        new_mention(cid, ch["ig"], at(D2, 9), answered_at=at(D2, 9, 50)),  # ig: 50 min, fb carried
    ])
    headers = {"Authorization": f"Bearer {tenant.keys['read']}"}
    base = f"/api/v1/companies/{cid}/metrics"
    r = client.get(f"{base}?metric=response_time_minutes&channel=all&from={D1}&to={D2}", headers=headers)
    assert r.status_code == 200, r.json
    assert [(p["date"], p["value"]) for p in r.json["series"][0]["points"]] == [(D1.isoformat(), 20),
                                                                                (D2.isoformat(), 30)]
    r = client.get(f"{base}/summary?metric=response_time_minutes&from={D1}&to={D2}", headers=headers)
    assert r.json["metrics"][0]["value"] == 30
    r = client.get(f"{base}/summary?metric=response_time_minutes&channel=ig&from={D1}&to={D2}", headers=headers)
    assert r.json["metrics"][0]["value"] == 50
