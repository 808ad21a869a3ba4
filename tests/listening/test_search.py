"""Full-text search over mentions through the API (``q``), on SQLite's FTS5 and PostgreSQL's
tsvector alike: stemming ("recall" finds "recalled" and "recalls"), phrases in quotes, exclusion,
OR, the author; any string at all is a valid search, never a 500; another company's mentions never
match."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from listening.mentions_world import add_channels, auth, listed, mention, push, url

TEXTS = {
    "recalled": "The product was recalled yesterday",
    "recalls": "Two recalls this year, what is going on",
    "recall": "They recall everything eventually",
    "phrase": "The kettle broke at home",
    "reversed": "Broke the kettle again",
    "other": "Nothing to see here",
    "swedish": "Återkallelsen av vattenkokaren gick snabbt",
}


@pytest.fixture
def world(app, client, tenant):
    add_channels(app, tenant)
    add_channels(app, tenant, company=tenant.company_b)
    batch = [mention(external_id=key, text=text, language="sv" if key == "swedish" else "en",
                     author={"name": "Stina Ek" if key == "other" else "Anna Berg",
                             "handle": "@stina" if key == "other" else "@anna"})
             for key, text in TEXTS.items()]
    assert push(client, tenant, batch).status_code == 200
    assert push(client, tenant, [mention(external_id="b", text="Recalled in company B")],
                company=tenant.company_b).status_code == 200
    return tenant


def found(client, tenant, q: str) -> set[str]:
    return {m["external_id"] for m in listed(client, tenant, f"q={quote(q)}")}


@pytest.mark.parametrize(("q", "expected"), [
    ("recall", {"recalled", "recalls", "recall"}),
    ("RECALLED", {"recalled", "recalls", "recall"}),
    ('"kettle broke"', {"phrase"}),
    ("kettle broke", {"phrase", "reversed"}),
    ("kettle -home", {"reversed"}),
    ('kettle -"at home"', {"reversed"}),
    ("kettle OR nothing", {"phrase", "reversed", "other"}),
    ("stina", {"other"}),
    ("vattenkokaren", {"swedish"}),
    ("återkallelsen", {"swedish"}),
    ("-recall", set()),  # only an exclusion: no word to look for
])
def test_search(client, world, q, expected):
    assert found(client, world, q) == expected


WEIRD = ['"', '""', '"unclosed phrase', "*", "recall*", "NEAR(", "NEAR(recall kettle, 2)", "col:x", "text:recall",
         "author_handle:anna", "^recall", "(", ")", "()", "AND", "OR", "NOT", "recall AND", "OR recall", "- -", "-",
         "'", "''", "\\", "%", "_", "%recall%", "{text}: recall", "recall + kettle", "kettle:*", "e-mail",
         "😀", "ü", "\u200b", "recall; DROP TABLE mention; --", "<b>recall</b>", "&", "|", "!", "1", "00000",
         "x" * 5000, "recall " * 700, '"' * 999, "NEAR/3", "a" * 300 + " recall"]


@pytest.mark.parametrize("q", WEIRD, ids=[f"weird-{i}" for i in range(len(WEIRD))])
def test_any_string_is_a_valid_search(client, world, q):
    r = client.get(url(world.company_a, f"?q={quote(q)}"), headers=auth(world, "read"))
    assert r.status_code == 200, (q[:50], r.status_code, r.get_data(as_text=True)[:300])
    assert all(m["external_id"] in TEXTS for m in r.json)


def test_stars_and_columns_are_plain_text(client, world):
    assert found(client, world, "recall*") == found(client, world, "recall")
    assert found(client, world, "text:recall") == set()  # "text recall": no mention has the word "text"
    assert found(client, world, "NEAR(kettle broke)") == set()  # "near kettle" and "broke": no mention has both


def test_a_query_over_5000_characters_is_422_not_a_500(client, world):
    r = client.get(url(world.company_a, f"?q={'x' * 5001}"), headers=auth(world, "read"))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "q"


def test_another_companys_mentions_never_match(client, world):
    assert "b" not in found(client, world, "recalled")
    assert found(client, world, "company") == set()
    assert {m["external_id"] for m in listed(client, world, "q=recalled", company=world.company_b)} == {"b"}
