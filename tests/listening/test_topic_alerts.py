"""A spike alert on a topic: "negative mentions on topic *recall*" as a rule, checked when it is
made (the topic is the company's, the metric a mention count) and judged by the real evaluation
(backend/services/alert_evaluation.py) from the mention records tagged with the topic — other
topics, other sentiments and other channels do not count."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

TODAY = dt.date(2026, 9, 1)  # the frozen "today" of the evaluation
_seq = itertools.count(1)


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


@pytest.fixture
def acme(app, tenant):
    """Company A with channels fb and ig, topics Recall and Shipping (B has a Recall too), and no
    alert rules but those a test adds."""
    from backend.extensions import db
    from backend.models import AlertRule, Topic
    from backend.services.channels import create_channel

    with app.app_context(), _system(tenant):
        create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
        create_channel(tenant.company_a.id, {"key": "ig", "platform": "instagram"})
        for rule in db.session.scalars(select(AlertRule)):
            db.session.delete(rule)
        tenant.topics = {}
        for company, name in ((tenant.company_a, "Recall"), (tenant.company_a, "Shipping"),
                              (tenant.company_b, "Recall")):
            topic = Topic(company_id=company.id, name=name, keywords=[name.lower()])
            db.session.add(topic)
            db.session.flush()
            tenant.topics[(company.id, name)] = topic.id
        db.session.commit()
    return tenant


def add(app, tenant, ago: int, sentiment: str, topic: str, n: int = 1, channel: str = "fb") -> None:
    """``n`` mentions ``ago`` days before TODAY, tagged (pushed) with the topic."""
    from backend.extensions import db
    from backend.models import Channel, Mention, MentionTopic

    company = tenant.company_a
    day = TODAY - dt.timedelta(days=ago)
    with app.app_context(), _system(tenant):
        channel_id = db.session.scalar(select(Channel.id).where(Channel.company_id == company.id,
                                                                Channel.key == channel))
        for _ in range(n):
            mention = Mention(company_id=company.id, channel_id=channel_id, source="test",
                              external_id=f"t{next(_seq)}", published_at=dt.datetime.combine(day, dt.time(9)),
                              day=day, text=f"about {topic.lower()}", sentiment=sentiment, language="en")
            db.session.add(mention)
            db.session.flush()
            db.session.add(MentionTopic(company_id=company.id, mention_seq=mention.seq,
                                        topic_id=tenant.topics[(company.id, topic)], tagged_by="pushed"))
        db.session.commit()


def make_rule(app, tenant, params, **extra):
    from backend.services.alert_rules import create_rule

    with app.app_context(), _system(tenant):
        return create_rule(tenant.company_a.id, {"kind": "spike", "params": params, **extra}).id


def evaluate(app, tenant, as_of=TODAY):
    from backend.services.alert_evaluation import evaluate_company

    with app.app_context(), _system(tenant):
        return {a.rule_id: (a.event_key, dict(a.seen), a.title, a.link)
                for a in evaluate_company(tenant.company_a.id, as_of=as_of)}


def test_negative_mentions_on_topic_recall_spike(app, acme):
    recall = str(acme.topics[(acme.company_a.id, "Recall")])
    shipping = str(acme.topics[(acme.company_a.id, "Shipping")])
    negative_recall = make_rule(app, acme, {"metric": "mentions_negative", "topic_id": recall, "factor": 3,
                                            "minimum": 10}, name="Recall crisis")
    negative_shipping = make_rule(app, acme, {"metric": "mentions_negative", "topic_id": shipping, "factor": 3,
                                              "minimum": 10})
    positive_recall = make_rule(app, acme, {"metric": "mentions_positive", "topic_id": recall, "factor": 3,
                                            "minimum": 20})
    all_recall_ig = make_rule(app, acme, {"metric": "mentions", "topic_id": recall, "channel": "ig", "factor": 3,
                                          "minimum": 3})
    for ago in range(1, 29):  # a calm month: 2 negative and 1 positive on recall, 30 negative on shipping
        add(app, acme, ago, "negative", "Recall", 2)
        add(app, acme, ago, "positive", "Recall", 1)
        add(app, acme, ago, "negative", "Shipping", 30)
    # Today: 11 negative on recall (fb), 10 positive; shipping as usual.
    add(app, acme, 0, "negative", "Recall", 8)
    add(app, acme, 0, "positive", "Recall", 10)
    add(app, acme, 0, "negative", "Shipping", 30)
    assert evaluate(app, acme) == {}  # 8 negative: over 3 × 2, under the minimum of 10; 10 positive: under 20
    add(app, acme, 0, "negative", "Recall", 3, channel="ig")  # 11 in all, 3 of them on ig
    fired = evaluate(app, acme)
    assert set(fired) == {negative_recall, all_recall_ig}
    key, seen, title, link = fired[negative_recall]
    assert key == f"spike:all:mentions_negative:topic:{recall}:{TODAY.isoformat()}"
    assert seen == {"metric": "mentions_negative", "channel": "all", "day": TODAY.isoformat(), "value": 11,
                    "median_28_days": 2, "factor": 3.0, "minimum": 10.0, "topic_id": recall, "topic": "Recall"}
    assert "topic 'Recall'" in title
    assert link == f"/dashboard/company/{acme.company_a.id}/listening?topic={recall}"
    assert fired[all_recall_ig][1]["value"] == 3  # ig only: today's 3, against a median of 0
    assert negative_shipping not in fired and positive_recall not in fired
    assert evaluate(app, acme) == {}  # fired once for the day


def test_a_positive_spike_counts_only_positive_mentions(app, acme):
    recall = str(acme.topics[(acme.company_a.id, "Recall")])
    positive = make_rule(app, acme, {"metric": "mentions_positive", "topic_id": recall, "factor": 3, "minimum": 5})
    for ago in range(1, 29):
        add(app, acme, ago, "positive", "Recall", 1)
    add(app, acme, 0, "negative", "Recall", 20)
    add(app, acme, 0, "positive", "Recall", 4)
    assert evaluate(app, acme) == {}  # 4 positive: under the minimum, whatever the negatives
    add(app, acme, 0, "positive", "Recall", 1)
    assert evaluate(app, acme)[positive][1]["value"] == 5


def test_old_days_raise_nothing(app, acme):
    recall = str(acme.topics[(acme.company_a.id, "Recall")])
    make_rule(app, acme, {"metric": "mentions_negative", "topic_id": recall, "factor": 3, "minimum": 10})
    add(app, acme, 200, "negative", "Recall", 50)  # last winter's crisis, imported now
    assert evaluate(app, acme) == {}


# --- the rule's checks ----------------------------------------------------------------------------

def _rules_url(tenant):
    return f"/api/v1/companies/{tenant.company_a.id}/alert-rules"


@pytest.mark.parametrize(("params", "field"), [
    ({"metric": "mentions_negative", "topic_id": "not-a-uuid"}, "params.topic_id"),
    ({"metric": "mentions_negative", "topic_id": "b"}, "params.topic_id"),  # company B's Recall
    ({"metric": "mentions_negative", "topic_id": "00000000-0000-0000-0000-000000000001"}, "params.topic_id"),
    ({"metric": "reach", "topic_id": "a"}, "params.metric"),  # a flow, but not a mention count
])
def test_a_topic_outside_the_company_or_a_metric_not_counted_from_mentions_is_422(api, acme, params, field):
    ids = {"a": str(acme.topics[(acme.company_a.id, "Recall")]), "b": str(acme.topics[(acme.company_b.id, "Recall")])}
    params = {**params, "factor": 3, "minimum": 5}
    params["topic_id"] = ids.get(params["topic_id"], params["topic_id"])
    resp = api(acme.keys["admin"]).post(_rules_url(acme), json={"kind": "spike", "params": params})
    assert resp.status_code == 422, resp.json
    assert field in {e["field"] for e in resp.json["errors"]}
    assert api(acme.keys["admin"]).get(_rules_url(acme)).json == []


def test_another_agencys_topic_is_422(app, api, acme):
    from conftest import build_tenant

    other = build_tenant(app, "Globex Agency")
    from backend.extensions import db
    from backend.models import Topic

    with app.app_context(), _system(other):
        topic = Topic(company_id=other.company_a.id, name="Recall", keywords=[])
        db.session.add(topic)
        db.session.commit()
        foreign = str(topic.id)
    resp = api(acme.keys["admin"]).post(_rules_url(acme), json={"kind": "spike", "params": {
        "metric": "mentions_negative", "topic_id": foreign, "factor": 3, "minimum": 5}})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "params.topic_id"


def test_the_api_takes_describes_and_drops_the_topic(api, acme):
    client = api(acme.keys["admin"])
    recall = str(acme.topics[(acme.company_a.id, "Recall")])
    resp = client.post(_rules_url(acme), json={"kind": "spike", "name": "Recall crisis", "params": {
        "metric": "mentions_negative", "topic_id": recall, "factor": 3, "minimum": 10}})
    assert resp.status_code == 201, resp.json
    rule = resp.json
    assert rule["params"]["topic_id"] == recall
    assert rule["description"].startswith("When mentions_negative on topic 'Recall' on all channels")
    url = f"{_rules_url(acme)}/{rule['id']}"
    resp = client.patch(url, json={"params": {"factor": 4}})  # merged: the topic stays
    assert resp.json["params"]["topic_id"] == recall and resp.json["params"]["factor"] == 4
    resp = client.patch(url, json={"params": {"topic_id": None}})
    assert resp.status_code == 200 and "topic_id" not in resp.json["params"]
    assert "topic" not in resp.json["description"]
