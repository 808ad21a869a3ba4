"""Topics and their keyword rules (backend/services/listening/topics.py): the tagging of mentions
(stemmed words, phrases, manual and pushed tags left alone), the re-tag job after a rule changes,
topics found by name, and the rules' checks. Mentions are inserted with the models here (the
full-text triggers index them on insert), not through the mentions push."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import select

_seq = itertools.count(1)


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


@pytest.fixture
def shop(app, tenant):
    """Company A with a channel ``fb`` (company B gets one too)."""
    from backend.services.channels import create_channel

    with app.app_context(), _system(tenant):
        for company in tenant.companies:
            create_channel(company.id, {"key": "fb", "platform": "facebook"})
    return tenant


def add_mentions(app, tenant, rows, company=None):
    """rows: (text, days before today, sentiment) → the mentions' seqs (committed). In English:
    PostgreSQL stems a mention's text in its language."""
    from backend.extensions import db
    from backend.models import Channel, Mention

    company = company or tenant.company_a
    today = dt.datetime.now(dt.UTC).date()  # the company's time zone is UTC
    with app.app_context(), _system(tenant):
        channel = db.session.scalars(select(Channel).where(Channel.company_id == company.id)).one()
        mentions = []
        for text, ago, sentiment in rows:
            day = today - dt.timedelta(days=ago)
            mentions.append(Mention(company_id=company.id, channel_id=channel.id, source="test",
                                    external_id=f"m{next(_seq)}", published_at=dt.datetime.combine(day, dt.time(12)),
                                    day=day, text=text, sentiment=sentiment, language="en"))
        db.session.add_all(mentions)
        db.session.commit()
        return [m.seq for m in mentions]


def tags(app, tenant, company=None):
    """{(mention seq, topic name, tagged_by)} of the company."""
    from backend.extensions import db
    from backend.models import MentionTopic, Topic

    company = company or tenant.company_a
    with app.app_context(), _system(tenant):
        rows = db.session.execute(select(MentionTopic.mention_seq, Topic.name, MentionTopic.tagged_by)
                                  .join(Topic, Topic.id == MentionTopic.topic_id)
                                  .where(MentionTopic.company_id == company.id)).all()
        return {tuple(r) for r in rows}


def make_topic(app, tenant, name, keywords, company=None, **extra):
    from backend.services.listening.topics import create_topic

    with app.app_context(), _system(tenant):
        return create_topic((company or tenant.company_a).id, {"name": name, "keywords": keywords, **extra}).id


def tag(app, tenant, seqs, company=None):
    """The push's step: tag these mentions in one transaction."""
    from backend.extensions import db
    from backend.models import Mention
    from backend.services.listening.topics import tag_mentions

    with app.app_context(), _system(tenant):
        mentions = list(db.session.scalars(select(Mention).where(Mention.seq.in_(seqs))))
        result = tag_mentions((company or tenant.company_a).id, mentions)
        db.session.commit()
        return result


# --- tagging --------------------------------------------------------------------------------------

def test_rules_tag_stemmed_words_and_phrases(app, shop):
    recall = make_topic(app, shop, "Recall", ["recall", "safety notice"], retag_days=0)
    assert recall
    seqs = add_mentions(app, shop, [
        ("They recalled my car last week", 1, "negative"),      # stemmed: recall
        ("Recalls everywhere, again", 1, "negative"),           # stemmed, any case
        ("A safety notice came in the mail", 1, "neutral"),     # the phrase
        ("Notice: safety first at the shop", 1, "neutral"),     # the words, not the phrase
        ("Lovely service today", 1, "positive"),                # nothing
    ])
    assert tag(app, shop, seqs) == (3, 0)
    assert tags(app, shop) == {(seqs[0], "Recall", "rule"), (seqs[1], "Recall", "rule"), (seqs[2], "Recall", "rule")}
    assert tag(app, shop, seqs) == (0, 0)  # the same again: idempotent


def test_rules_look_at_the_text_not_the_author(app, shop):
    from backend.extensions import db
    from backend.models import Mention

    make_topic(app, shop, "Recall", ["recall"], retag_days=0)
    seqs = add_mentions(app, shop, [("Great coffee this morning", 1, "positive"),
                                    ("A recall was announced", 1, "negative")])
    with app.app_context(), _system(shop):
        for m in db.session.scalars(select(Mention).where(Mention.seq.in_(seqs))):
            m.author_name, m.author_handle = "Recall Watch", "@recall_watch"
        db.session.commit()
    assert tag(app, shop, seqs) == (1, 0)
    assert tags(app, shop) == {(seqs[1], "Recall", "rule")}


def test_a_rule_tag_goes_when_the_text_no_longer_matches_and_other_tags_stay(app, shop):
    from backend.extensions import db
    from backend.models import Mention, MentionTopic, Topic

    make_topic(app, shop, "Recall", ["recall"], retag_days=0)
    seqs = add_mentions(app, shop, [("recall again", 1, "negative"), ("nothing here", 1, "neutral"),
                                    ("recall, and tagged by hand", 1, "negative")])
    with app.app_context(), _system(shop):
        topic = db.session.scalars(select(Topic)).one()
        db.session.add(MentionTopic(company_id=shop.company_a.id, mention_seq=seqs[1], topic_id=topic.id,
                                    tagged_by="manual"))
        db.session.add(MentionTopic(company_id=shop.company_a.id, mention_seq=seqs[2], topic_id=topic.id,
                                    tagged_by="pushed"))
        db.session.commit()
    tag(app, shop, seqs)
    assert tags(app, shop) == {(seqs[0], "Recall", "rule"), (seqs[1], "Recall", "manual"),
                               (seqs[2], "Recall", "pushed")}
    with app.app_context(), _system(shop):
        for mention in db.session.scalars(select(Mention).where(Mention.seq.in_(seqs))):
            mention.text = "all fine now"
        db.session.flush()  # the full-text index follows the update (trigger)
        from backend.services.listening.topics import tag_mentions

        assert tag_mentions(shop.company_a.id, list(db.session.scalars(select(Mention)))) == (0, 1)
        db.session.commit()
    assert tags(app, shop) == {(seqs[1], "Recall", "manual"), (seqs[2], "Recall", "pushed")}


def test_tagging_stays_within_the_company(app, shop):
    make_topic(app, shop, "Recall", ["recall"], retag_days=0)
    make_topic(app, shop, "Recall B", ["recall"], company=shop.company_b, retag_days=0)
    mine = add_mentions(app, shop, [("a recall", 1, "negative")])
    theirs = add_mentions(app, shop, [("a recall too", 1, "negative")], company=shop.company_b)
    tag(app, shop, mine + theirs)  # B's mention handed to A's tagging: not A's to tag
    assert tags(app, shop) == {(mine[0], "Recall", "rule")}
    assert tags(app, shop, shop.company_b) == set()
    tag(app, shop, theirs, company=shop.company_b)
    assert tags(app, shop, shop.company_b) == {(theirs[0], "Recall B", "rule")}


def test_odd_keywords_are_plain_text_never_engine_syntax(app, shop):
    seqs = add_mentions(app, shop, [('He said "NEAR(recall" * col:x', 1, "neutral"), ("plain", 1, "neutral")])
    make_topic(app, shop, "Odd", ['NEAR("recall"', "col:x*", "a\"b", "-recall)"], retag_days=0)
    tag(app, shop, seqs)
    assert tags(app, shop) == {(seqs[0], "Odd", "rule")}


# --- the re-tag job -------------------------------------------------------------------------------

def test_changing_the_keywords_retags_the_last_90_days_by_a_job(app, shop):
    from backend.services.listening.topics import update_topic

    seqs = add_mentions(app, shop, [("a refund at last", 2, "positive"), ("refund please", 89, "negative"),
                                    ("refund in the old days", 120, "negative"), ("recall", 3, "negative")])
    topic_id = make_topic(app, shop, "Money", ["recall"])  # created with a rule: tagged by the job
    assert tags(app, shop) == {(seqs[3], "Money", "rule")}
    with app.app_context(), _system(shop):
        topic = update_topic(shop.company_a.id, topic_id, {"keywords": ["refund"]}, expected_version=1)
        assert topic.version == 2 and topic.retagging_days == 90
    # The job ran (the queue is inline in tests): within 90 days tagged, the recall tag gone.
    assert tags(app, shop) == {(seqs[0], "Money", "rule"), (seqs[1], "Money", "rule")}
    with app.app_context(), _system(shop):
        update_topic(shop.company_a.id, topic_id, {"keywords": ["refund", "recall"], "retag_days": 2})
    assert tags(app, shop) == {(seqs[0], "Money", "rule"), (seqs[1], "Money", "rule")}  # day 3 is outside
    with app.app_context(), _system(shop):
        update_topic(shop.company_a.id, topic_id, {"retag_days": 5})  # a re-tag without a change
    assert (seqs[3], "Money", "rule") in tags(app, shop)
    with app.app_context(), _system(shop):
        topic = update_topic(shop.company_a.id, topic_id, {"keywords": []}, expected_version=3)
        assert topic.retagging_days == 90
    assert tags(app, shop) == set()


def test_the_retag_job_is_idempotent_and_works_in_batches(app, shop, monkeypatch):
    from backend.jobs.listening import retag_topic_job
    from backend.services.listening import topics

    monkeypatch.setattr(topics, "BATCH", 3)
    seqs = add_mentions(app, shop, [(f"recall number {i}", i, "negative") for i in range(8)]
                        + [("unrelated", 1, "neutral")])
    topic_id = make_topic(app, shop, "Recall", ["recall"], retag_days=0)
    assert tags(app, shop) == set()
    with app.app_context():
        retag_topic_job(shop.agency_id, str(shop.company_a.id), str(topic_id), 90)
        first = tags(app, shop)
        retag_topic_job(shop.agency_id, str(shop.company_a.id), str(topic_id), 90)
    assert first == tags(app, shop) == {(s, "Recall", "rule") for s in seqs[:8]}
    with app.app_context(), _system(shop):
        assert topics.retag(shop.company_a.id, topic_id, 90) == {"checked": 9, "added": 0, "removed": 0}
        assert topics.retag(shop.company_a.id, uuid.uuid4(), 90)["checked"] == 0  # deleted meanwhile


# --- topics by name -------------------------------------------------------------------------------

def test_topic_ids_by_name_match_case_insensitively_and_create_when_asked(app, shop):
    from backend.extensions import db
    from backend.models import Topic
    from backend.services.errors import ValidationFailed
    from backend.services.listening.topics import topic_ids_by_name

    recall = make_topic(app, shop, "Recall", ["recall"], retag_days=0)
    with app.app_context(), _system(shop):
        assert topic_ids_by_name(shop.company_a.id, ["RECALL", "Delivery"], create=False) == {"RECALL": recall}
        found = topic_ids_by_name(shop.company_a.id, ["recall", " Delivery ", "delivery"], create=True)
        db.session.commit()
        assert found["recall"] == recall and found[" Delivery "] == found["delivery"] != recall
        assert [(t.name, t.keywords) for t in db.session.scalars(select(Topic).order_by(Topic.name))] == [
            ("Delivery", []), ("Recall", ["recall"])]
        assert topic_ids_by_name(shop.company_b.id, ["recall"], create=False) == {}  # per company
        with pytest.raises(ValidationFailed) as err:
            topic_ids_by_name(shop.company_a.id, ["ok", "x" * 81], create=True)
        assert err.value.errors[0]["field"] == "topics.1"


# --- the API --------------------------------------------------------------------------------------

def _url(tenant, company=None):
    return f"/api/v1/companies/{(company or tenant.company_a).id}/topics"


def test_topics_through_the_api(api, shop, app, login_as):
    client = api(shop.keys["write"])
    resp = client.post(_url(shop), json={"name": "Recall", "keywords": ["recall", "Recall", " safety   notice "]})
    assert resp.status_code == 201, resp.json
    topic = resp.json
    assert topic["keywords"] == ["recall", "safety notice"] and topic["version"] == 1
    assert topic["retagging_days"] == 90
    url = f"{_url(shop)}/{topic['id']}"
    assert client.get(url).json["name"] == "Recall"
    assert "retagging_days" not in client.get(url).json
    listed = client.get(_url(shop))
    assert [t["name"] for t in listed.json] == ["Recall"] and "X-Pagination" in listed.headers
    resp = client.patch(url, json={"name": "Recalls", "version": 1})
    assert resp.status_code == 200 and resp.json["version"] == 2 and resp.json["retagging_days"] is None
    assert client.patch(url, json={"name": "Recall", "version": 1}).status_code == 409
    # A client viewer reads, and changes nothing.
    viewer = login_as(shop, "viewer")
    assert viewer.get(url).status_code == 200
    assert viewer.post(_url(shop), json={"name": "Mine"}).status_code == 403
    assert viewer.patch(url, json={"name": "Mine"}).status_code == 403
    assert viewer.delete(url).status_code == 403
    # The sibling company's URL with this topic: 404.
    assert client.get(f"{_url(shop, shop.company_b)}/{topic['id']}").status_code == 404
    assert client.delete(url + "?version=1").status_code == 409
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "recall"}, "name"),  # the same name in another case
    ({"name": "Ok", "keywords": "recall"}, "keywords"),
    ({"name": "Ok", "keywords": ["w"] * 51}, "keywords"),
    ({"name": "Ok", "keywords": ["fine", ""]}, "keywords.1"),
    ({"name": "Ok", "keywords": ["x" * 101]}, "keywords.0"),
    ({"name": "Ok", "keywords": ["!!! ---"]}, "keywords.0"),
    ({"name": "Ok", "keywords": ["nul\u0000"]}, "keywords.0"),
    ({"name": "Ok", "keywords": [3]}, "keywords.0"),
    ({"name": "Ok", "retag_days": 91}, "retag_days"),
    ({"name": "Ok", "retag_days": -1}, "retag_days"),
    ({"name": "Ok", "colour": "red"}, "colour"),
])
def test_bad_topics_are_422_naming_the_field_and_write_nothing(api, shop, app, body, field):
    client = api(shop.keys["write"])
    assert client.post(_url(shop), json={"name": "Recall"}).status_code == 201
    resp = client.post(_url(shop), json=body)
    assert resp.status_code == 422, resp.json
    assert field in {e["field"] for e in resp.json["errors"]}, resp.json
    assert len(client.get(_url(shop)).json) == 1


def test_renaming_onto_another_topic_is_422(api, shop):
    client = api(shop.keys["write"])
    client.post(_url(shop), json={"name": "Recall"})
    other = client.post(_url(shop), json={"name": "Refund"}).json
    resp = client.patch(f"{_url(shop)}/{other['id']}", json={"name": "RECALL"})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "name"
    resp = client.patch(f"{_url(shop)}/{other['id']}", json={"name": "REFUND"})  # its own name, in capitals
    assert resp.status_code == 200 and resp.json["name"] == "REFUND"


def test_a_topic_watched_by_an_alert_rule_is_not_deleted(api, shop):
    client = api(shop.keys["admin"])
    topic = client.post(_url(shop), json={"name": "Recall", "keywords": ["recall"]}).json
    rule = client.post(f"/api/v1/companies/{shop.company_a.id}/alert-rules", json={
        "kind": "spike", "params": {"metric": "mentions_negative", "factor": 3, "minimum": 5,
                                    "topic_id": topic["id"]}})
    assert rule.status_code == 201, rule.json
    resp = client.delete(f"{_url(shop)}/{topic['id']}")
    assert resp.status_code == 409 and "watch this topic" in resp.json["detail"]
    client.delete(f"/api/v1/companies/{shop.company_a.id}/alert-rules/{rule.json['id']}")
    assert client.delete(f"{_url(shop)}/{topic['id']}").status_code == 204
