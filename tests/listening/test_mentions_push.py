"""Pushing mentions: counts, upsert on (source, external_id), all or nothing, every bad input of
the issue, the limits, rights, Idempotency-Key; the day in the company's time zone; pushed
topics; the real tagging (topics.tag_mentions) and roll-up (rollup.refresh) inside the push."""
from __future__ import annotations

import datetime as dt

import pytest

from listening.mentions_world import add_channels, as_system, listed, mention, push, raw, url


@pytest.fixture
def world(app, tenant):
    add_channels(app, tenant)
    return tenant


def count(app, tenant) -> int:
    from sqlalchemy import func, select

    from backend.extensions import db
    from backend.models import Mention

    with as_system(app, tenant):
        return db.session.scalar(select(func.count()).select_from(Mention))


def test_counts_and_a_repush_updates_never_duplicates(app, client, world):
    batch = [mention(external_id="a"), mention(external_id="b"), mention(external_id="c", channel="ig")]
    r = push(client, world, batch)
    assert r.status_code == 200, r.json
    assert r.json == {"received": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert push(client, world, batch).json == {"received": 3, "created": 0, "updated": 0, "unchanged": 3}
    changed = [{**batch[0], "text": "Changed"}, {**batch[1], "published_at": "2024-05-03T09:00:00Z"}, batch[2]]
    assert push(client, world, changed).json == {"received": 3, "created": 0, "updated": 2, "unchanged": 1}
    assert count(app, world) == 3
    by_id = {m["external_id"]: m for m in listed(client, world)}
    assert by_id["a"]["text"] == "Changed"
    assert by_id["b"]["day"] == "2024-05-03" and by_id["b"]["published_at"] == "2024-05-03T09:00:00Z"


def test_the_same_external_id_from_another_source_is_another_mention(app, client, world):
    r = push(client, world, [mention(external_id="x"), mention(external_id="x", source="zendesk")])
    assert r.json["created"] == 2


def test_the_answer_keeps_the_offset_and_counts_on_the_companys_day(app, client, world):
    from backend.extensions import db
    from backend.models import Company

    with as_system(app, world):
        db.session.get(Company, world.company_a.id).timezone = "Europe/Stockholm"
        db.session.commit()
    r = push(client, world, [mention(external_id="late", published_at="2024-05-01T23:30:00+00:00"),
                             mention(external_id="early", published_at="2024-05-02T00:30:00+02:00")])
    assert r.status_code == 200, r.json
    found = {m["external_id"]: m for m in listed(client, world)}
    assert found["late"]["day"] == "2024-05-02"  # 01:30 in Stockholm
    assert found["early"]["day"] == "2024-05-02"
    assert found["early"]["published_at"] == "2024-05-01T22:30:00Z"
    assert found["early"]["utc_offset_minutes"] == 120


def test_a_text_of_5000_characters_and_every_optional_field(app, client, world):
    item = mention(text="ä" * 5000, url="https://example.com/p/1", sentiment="negative", sentiment_score=-0.5,
                   language="pt-BR", location={"country": "se", "city": "Umeå"}, topics=["Recall"],
                   answered_at="2024-05-01T11:00:00+02:00")
    r = push(client, world, [item])
    assert r.status_code == 200, r.json
    got = listed(client, world)[0]
    assert len(got["text"]) == 5000 and got["location"] == {"country": "SE", "city": "Umeå"}
    assert got["sentiment_score"] == -0.5 and got["answered"] is True
    assert got["answered_at"] == "2024-05-01T09:00:00Z"
    assert [t["name"] for t in got["topics"]] == ["Recall"] and got["topics"][0]["tagged_by"] == "pushed"


BAD = [
    ({"published_at": "2024-05-01T10:15:00"}, "published_at", "offset"),
    ({"published_at": "2024-05-01"}, "published_at", "offset"),
    ({"published_at": "1999-12-31T23:59:59Z"}, "published_at", "2000-01-01"),
    ({"published_at": "2999-01-01T00:00:00Z"}, "published_at", "future"),
    ({"published_at": "yesterday"}, "published_at", "ISO 8601"),
    ({"text": "x" * 5001}, "text", "5,000"),
    ({"channel": "myspace"}, "channel", "No channel"),
    ({"sentiment": "angry"}, "sentiment", "positive"),
    ({"sentiment": None}, "sentiment", "Missing"),
    ({"source": None}, "source", "Missing"),
    ({"external_id": ""}, "external_id", "empty"),
    ({"location": {"country": "XX"}}, "location.country", "ISO 3166"),
    ({"location": {"country": "EU"}}, "location.country", "ISO 3166"),
    ({"location": {"country": "SWE"}}, "location.country", "ISO 3166"),
    ({"location": {"zip": "901 87"}}, "location.zip", "Unknown"),
    ({"sentiment_score": 1.5}, "sentiment_score", "-1 to 1"),
    ({"sentiment_score": True}, "sentiment_score", "-1 to 1"),
    ({"language": "not a tag"}, "language", "language tag"),
    ({"url": "javascript:alert(1)"}, "url", "http"),
    ({"author": {"followers": -1}}, "author.followers", "whole number"),
    ({"author": "anna"}, "author", "object"),
    ({"topics": [f"t{i}" for i in range(21)]}, "topics", "20"),
    ({"topics": "recall"}, "topics", "list"),
    ({"answered_at": "2024-05-01T08:00:00Z"}, "answered_at", "before"),
    ({"colour": "red"}, "colour", "Unknown"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_every_bad_input_is_422_naming_the_field_and_writes_nothing(app, client, world, change, field, words):
    r = push(client, world, [mention(), mention(**change)])
    assert r.status_code == 422, r.json
    assert r.mimetype == "application/problem+json"
    errors = r.json["errors"]
    assert {"index": 1, "field": field} == {k: errors[0][k] for k in ("index", "field")}, errors
    assert words in errors[0]["message"], errors
    assert count(app, world) == 0


def test_a_duplicate_in_one_batch_names_both_indexes(app, client, world):
    r = push(client, world, [mention(external_id="same"), mention(), mention(external_id="same")])
    assert r.status_code == 422
    [error] = r.json["errors"]
    assert error["index"] == 2 and error["field"] == "external_id"
    assert "0 and 2" in error["message"]
    assert count(app, world) == 0


def test_more_than_1000_is_413_and_the_body_must_be_a_list(app, client, world):
    r = push(client, world, [mention() for _ in range(1001)])
    assert r.status_code == 413 and r.json["limit"] == 1000
    r = client.post(url(world.company_a), json={"mentions": {"a": 1}},
                    headers={"Authorization": f"Bearer {world.keys['write']}"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "mentions"
    assert push(client, world, [mention() for _ in range(1000)]).json["created"] == 1000


def test_rights_read_keys_viewers_and_other_tenants(app, client, world, login_as):
    from conftest import build_tenant

    for scope in ("read", "metrics:write"):
        assert push(client, world, [mention()], scope=scope).status_code == 403
    viewer = login_as(world, "viewer")
    assert viewer.post(url(world.company_a), json={"mentions": [mention()]}).status_code == 403
    other = build_tenant(app, "Globex Agency")
    add_channels(app, other)
    r = client.post(url(other.company_a), json={"mentions": [mention()]},
                    headers={"Authorization": f"Bearer {world.keys['write']}"})
    assert r.status_code == 404
    member = login_as(world, "member")
    assert member.post(url(world.company_a), json={"mentions": [mention()]}).status_code == 200


def test_idempotency_key_replays_without_writing(app, client, world):
    body = [mention(external_id="k1")]
    first = push(client, world, body, **{"Idempotency-Key": "push-1"})
    assert first.status_code == 200 and first.json["created"] == 1
    with as_system(app, world):
        from backend.extensions import db
        from backend.models import Mention

        db.session.query(Mention).delete()
        db.session.commit()
    again = push(client, world, body, **{"Idempotency-Key": "push-1"})
    assert again.status_code == 200 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, world) == 0  # replayed, not written again
    other = push(client, world, [mention(external_id="k2")], **{"Idempotency-Key": "push-1"})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"


def test_pushed_topics_are_created_and_a_repush_replaces_them(app, client, world):
    item = mention(external_id="t", topics=["Recall", "Delivery"])
    assert push(client, world, [item]).status_code == 200
    names = {t["name"]: t["tagged_by"] for t in listed(client, world)[0]["topics"]}
    assert names == {"Recall": "pushed", "Delivery": "pushed"}
    r = push(client, world, [{**item, "topics": ["recall"]}])
    assert r.json["updated"] == 1
    assert [t["name"] for t in listed(client, world)[0]["topics"]] == ["Recall"]
    assert push(client, world, [{**item, "topics": ["RECALL"]}]).json["unchanged"] == 1
    topics = raw(app, "SELECT name FROM topic ORDER BY name")
    assert topics == [("Delivery",), ("Recall",)]


def test_a_repush_without_answered_at_keeps_the_answer(app, client, world):
    item = mention(external_id="h")
    push(client, world, [item])
    mid = listed(client, world)[0]["id"]
    r = client.patch(url(world.company_a, f"/{mid}"), json={"answered": True},
                     headers={"Authorization": f"Bearer {world.keys['write']}"})
    assert r.status_code == 200 and r.json["answered"] is True
    assert push(client, world, [item]).json["unchanged"] == 1
    assert listed(client, world)[0]["answered"] is True
    # An explicit answered_at from a help desk replaces it; null says it is not answered.
    assert push(client, world, [{**item, "answered_at": "2024-05-01T12:00:00+02:00"}]).json["updated"] == 1
    assert listed(client, world)[0]["answered_at"] == "2024-05-01T10:00:00Z"
    assert push(client, world, [{**item, "answered_at": None}]).json["updated"] == 1
    assert listed(client, world)[0]["answered"] is False


def test_the_push_tags_by_rule_and_rolls_up_the_days_it_touches(app, client, world):
    """The real topics.tag_mentions and rollup.refresh, inside the push's transaction."""
    from backend.services.listening import topics

    with as_system(app, world):
        topics.create_topic(world.company_a.id, {"name": "Recall", "keywords": ["recall"]})
    batch = [mention(external_id="r1", text="They recalled my kettle", sentiment="negative"),
             mention(external_id="r2", text="Nothing to see", sentiment="positive"),
             mention(external_id="r3", text="Recalls again?", sentiment="negative",
                     published_at="2024-05-02T10:00:00Z")]
    assert push(client, world, batch).status_code == 200
    tagged = {m["external_id"]: [(t["name"], t["tagged_by"]) for t in m["topics"]] for m in listed(client, world)}
    assert tagged == {"r1": [("Recall", "rule")], "r2": [], "r3": [("Recall", "rule")]}
    points = {(m, d): v for m, d, v in _points(app, world)}
    assert points[("mentions", dt.date(2024, 5, 1))] == 2
    assert points[("mentions_negative", dt.date(2024, 5, 1))] == 1
    assert points[("mentions", dt.date(2024, 5, 2))] == 1
    # A mention moved to another day: both days follow; its rule tag goes when its text stops matching.
    moved = {**batch[2], "published_at": "2024-05-01T12:00:00Z", "text": "Fine now"}
    assert push(client, world, [moved]).json["updated"] == 1
    points = {(m, d): v for m, d, v in _points(app, world)}
    assert points[("mentions", dt.date(2024, 5, 1))] == 3
    assert points.get(("mentions", dt.date(2024, 5, 2)), 0) == 0
    assert {m["external_id"]: m["topics"] for m in listed(client, world)}["r3"] == []


def _points(app, tenant):
    from backend.extensions import db
    from backend.models import Channel, MetricPoint

    with as_system(app, tenant):
        return db.session.execute(
            db.select(MetricPoint.metric, MetricPoint.date, MetricPoint.value)
            .join(Channel, Channel.id == MetricPoint.channel_id)
            .where(Channel.key == "fb", MetricPoint.company_id == tenant.company_a.id)).all()


@pytest.mark.no_db
def test_country_codes_are_cldr_countries_only():
    from backend.services.listening.countries import country_codes, country_name, is_country

    assert is_country("SE") and is_country("PL") and is_country("XK")
    assert not any(is_country(c) for c in ("EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "se", "SWE", "001", "", None))
    assert 240 < len(country_codes()) < 260
    assert country_name("SE") == "Sweden" and country_name("SE", "sv") == "Sverige"
    assert country_name("NO", "nb") == "Norge" and country_name("XX") == "XX"
