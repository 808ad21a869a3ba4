"""Reading and changing mentions: the list's filters and cursor (newest first), the inbox (oldest
first), get, answer, assign, topics, delete; another company's mention is 404; a client viewer
reads their company's and changes nothing."""
from __future__ import annotations

import base64

import pytest

from listening.mentions_world import add_channels, as_system, auth, listed, mention, push, url


@pytest.fixture
def world(app, client, tenant):
    add_channels(app, tenant)
    add_channels(app, tenant, company=tenant.company_b)
    batch = [
        mention(external_id="m1", published_at="2024-05-01T08:00:00Z", sentiment="positive", text="Lovely kettle",
                location={"country": "SE"}, topics=["Kettles"]),
        mention(external_id="m2", published_at="2024-05-02T08:00:00Z", sentiment="negative", text="Broken kettle",
                author={"handle": "@bo", "followers": 5000}, location={"country": "NO"}, channel="ig"),
        mention(external_id="m3", published_at="2024-05-03T08:00:00Z", sentiment="negative", text="Late delivery",
                answered_at="2024-05-03T09:00:00Z"),
        mention(external_id="m4", published_at="2024-05-03T08:00:00Z", sentiment="neutral", text="Delivery ok"),
    ]
    assert push(client, tenant, batch).status_code == 200
    assert push(client, tenant, [mention(external_id="other", text="Broken kettle")],
                company=tenant.company_b).status_code == 200
    tenant.ids = {m["external_id"]: m["id"] for m in listed(client, tenant)}
    tenant.other_id = listed(client, tenant, company=tenant.company_b)[0]["id"]
    return tenant


def ext(items) -> list[str]:
    return [m["external_id"] for m in items]


def test_newest_first_with_a_cursor_through_every_page(client, world):
    assert ext(listed(client, world)) == ["m4", "m3", "m2", "m1"]  # m4 and m3 tie: the later seq first
    seen, cursor = [], ""
    for _ in range(3):
        r = client.get(url(world.company_a, f"?limit=2{cursor}"), headers=auth(world, "read"))
        assert r.status_code == 200
        seen += ext(r.json)
        if "X-Next-Cursor" not in r.headers:
            break
        cursor = "&cursor=" + r.headers["X-Next-Cursor"]
    assert seen == ["m4", "m3", "m2", "m1"]


@pytest.mark.parametrize("cursor", ["junk", "eyJ4IjoxfQ", base64.urlsafe_b64encode(b'["inbox","2024-05-01T00:00:00",1]')
                                    .decode(), "%00", "a" * 400])
def test_a_tampered_cursor_is_422(client, world, cursor):
    r = client.get(url(world.company_a, f"?cursor={cursor}"), headers=auth(world, "read"))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "cursor", r.json


@pytest.mark.parametrize(("query", "expected"), [
    ("channel=ig", ["m2"]),
    ("sentiment=negative", ["m3", "m2"]),
    ("topic=kettles", ["m1"]),
    ("country=se", ["m1"]),
    ("answered=true", ["m3"]),
    ("answered=false", ["m4", "m2", "m1"]),
    ("author=@bo", ["m2"]),
    ("from=2024-05-02&to=2024-05-02", ["m2"]),
    ("q=kettle", ["m2", "m1"]),
    ("q=kettle&sentiment=negative", ["m2"]),
    ("q=delivery%20-late", ["m4"]),
])
def test_filters(client, world, query, expected):
    assert ext(listed(client, world, query)) == expected


def test_a_topic_by_id_and_wrong_filters_are_422(client, world):
    topic_id = listed(client, world, "topic=Kettles")[0]["topics"][0]["id"]
    assert ext(listed(client, world, f"topic={topic_id}")) == ["m1"]
    for query, field in (("channel=myspace", "channel"), ("topic=nothing", "topic"), ("country=XX", "country"),
                         ("sentiment=angry", "sentiment"), ("limit=0", "limit"), ("limit=201", "limit"),
                         ("from=2024-05-03&to=2024-05-01", "to"), ("colour=red", "colour")):
        r = client.get(url(world.company_a, f"?{query}"), headers=auth(world, "read"))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == field, (query, r.json)


def test_the_inbox_is_unanswered_oldest_first(client, world):
    r = client.get(url(world.company_a, "/inbox?limit=2"), headers=auth(world, "read"))
    assert ext(r.json) == ["m1", "m2"]
    r = client.get(url(world.company_a, f"/inbox?cursor={r.headers['X-Next-Cursor']}"), headers=auth(world, "read"))
    assert ext(r.json) == ["m4"] and "X-Next-Cursor" not in r.headers
    newest_cursor = client.get(url(world.company_a, "?limit=1"), headers=auth(world, "read")).headers["X-Next-Cursor"]
    r = client.get(url(world.company_a, f"/inbox?cursor={newest_cursor}"), headers=auth(world, "read"))
    assert r.status_code == 422  # a cursor of the other list


def test_mark_answered_assign_and_set_topics(client, world):
    mid = world.ids["m4"]
    one = url(world.company_a, f"/{mid}")
    r = client.patch(one, json={"answered": True}, headers=auth(world))
    assert r.status_code == 200 and r.json["answered"] is True and r.json["answered_by"] == "api-key:write key"
    first = r.json["answered_at"]
    assert client.patch(one, json={"answered": True}, headers=auth(world)).json["answered_at"] == first
    assert "m4" not in ext(client.get(url(world.company_a, "/inbox"), headers=auth(world, "read")).json)
    r = client.patch(one, json={"answered": False}, headers=auth(world))
    assert r.json["answered"] is False and r.json["answered_at"] is None and r.json["answered_by"] == ""
    member = str(world.users["member"].id)
    assert client.patch(one, json={"assigned_to": member}, headers=auth(world)).json["assigned_to"] == member
    assert client.patch(one, json={"assigned_to": None}, headers=auth(world)).json["assigned_to"] is None
    for bad in (str(world.users["viewer"].id), "00000000-0000-0000-0000-000000000000"):
        r = client.patch(one, json={"assigned_to": bad}, headers=auth(world))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "assigned_to"
    r = client.patch(one, json={"topics": ["Delivery", "kettles"]}, headers=auth(world))
    assert sorted((t["name"], t["tagged_by"]) for t in r.json["topics"]) == [("Delivery", "manual"),
                                                                             ("Kettles", "manual")]
    assert client.patch(one, json={"topics": []}, headers=auth(world)).json["topics"] == []
    for body, field in (({"topics": "x"}, "topics"), ({"answered": "maybe"}, "answered"), ({"text": "x"}, "text")):
        r = client.patch(one, json=body, headers=auth(world))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == field, r.json


def test_the_assignee_from_another_agency_is_422(app, client, world):
    from conftest import build_tenant

    other = build_tenant(app, "Globex Agency")
    r = client.patch(url(world.company_a, f"/{world.ids['m1']}"), json={"assigned_to": str(other.users["member"].id)},
                     headers=auth(world))
    assert r.status_code == 422


def test_get_and_delete(app, client, world):
    one = url(world.company_a, f"/{world.ids['m2']}")
    r = client.get(one, headers=auth(world, "read"))
    assert r.status_code == 200 and r.json["author"] == {"name": "", "handle": "@bo", "followers": 5000}
    assert r.json["channel"] == "ig" and r.json["location"] == {"country": "NO", "city": ""}
    assert client.delete(one, headers=auth(world, "read")).status_code == 403
    r = client.delete(one, headers=auth(world))
    assert r.status_code == 204
    assert client.get(one, headers=auth(world, "read")).status_code == 404
    assert "m2" not in ext(listed(client, world))
    with as_system(app, world):
        from backend.extensions import db
        from backend.models import AuditEntry

        actions = [a for (a,) in db.session.execute(db.select(AuditEntry.action))]
    assert "mention.delete" in actions and "mentions.push" in actions


def test_another_companys_mention_is_404(app, client, world):
    from conftest import build_tenant

    for path in (f"/{world.other_id}", "/00000000-0000-0000-0000-000000000000"):
        for method in ("get", "patch", "delete"):
            kwargs = {"json": {"answered": True}} if method == "patch" else {}
            r = getattr(client, method)(url(world.company_a, path), headers=auth(world, "admin"), **kwargs)
            assert r.status_code == 404, (method, path)
    other = build_tenant(app, "Globex Agency")
    r = client.get(url(world.company_a, f"/{world.ids['m1']}"), headers=auth(other, "admin"))
    assert r.status_code == 404
    assert client.get(url(world.company_a), headers=auth(other, "admin")).status_code == 404
    assert listed(client, world, company=world.company_b) and "other" not in ext(listed(client, world))


def test_a_client_viewer_reads_their_company_and_changes_nothing(client, world, login_as):
    viewer = login_as(world, "viewer")
    assert ext(viewer.get(url(world.company_a)).json) == ["m4", "m3", "m2", "m1"]
    assert viewer.get(url(world.company_a, "/inbox")).status_code == 200
    one = url(world.company_a, f"/{world.ids['m1']}")
    assert viewer.get(one).status_code == 200
    assert viewer.patch(one, json={"answered": True}).status_code == 403
    assert viewer.delete(one).status_code == 403
    assert viewer.post(url(world.company_a, "/erase-author"), json={"handle": "@bo"}).status_code == 403
    assert viewer.get(url(world.company_b)).status_code == 404
    assert listed(client, world)[-1]["answered"] is False
