"""An author's right to erasure: every mention of theirs in the company goes, and with it every
trace — the rows, the full-text index (SQLite: no segment keeps their words, fts5vocab lists none;
PostgreSQL: no tsvector matches), search answers, the CSV export, the daily counts, the audit
log (which says how many, not whose) and the stored PDFs of the reports covering their days."""
from __future__ import annotations

import datetime as dt

import pytest

from listening.mentions_world import add_channels, as_system, auth, dialect, listed, mention, push, raw, url

SECRET_WORD = "qxvzorblat"  # in no other mention: its trace is the author's


@pytest.fixture
def world(app, client, tenant):
    add_channels(app, tenant)
    add_channels(app, tenant, company=tenant.company_b)
    author = {"name": "Private Person", "handle": "@Private", "followers": 3}
    mine = [mention(external_id="p1", text=f"My {SECRET_WORD} story", author=author, sentiment="negative"),
            mention(external_id="p2", text="Second post", author={**author, "handle": "@private"},
                    published_at="2024-05-02T09:00:00Z")]
    others = [mention(external_id="o1", text="Someone else", author={"handle": "@other"})]
    assert push(client, tenant, mine + others).status_code == 200
    # The same person in company B is another company's business: it stays.
    assert push(client, tenant, [mention(external_id="b1", text="The same person in company B", author=author)],
                company=tenant.company_b).status_code == 200
    return tenant


def _report_with_pdf(app, tenant, start: dt.date, end: dt.date):
    from backend.extensions import db
    from backend.models import Report

    with as_system(app, tenant):
        report = Report(company_id=tenant.company_a.id, period_kind="custom", period_start=start, period_end=end,
                        status="sent", pdf=b"%PDF-1.7 old", pdf_version=1, pdf_sha256="0" * 64, pdf_pages=2)
        db.session.add(report)
        db.session.commit()
        return report.id


def _fts_vocabulary(app) -> set[str]:
    from backend.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.mention_vocab "
                             "USING fts5vocab(main, mention_fts, row)")
        return {term for (term,) in conn.exec_driver_sql("SELECT term FROM temp.mention_vocab")}


def _fts_segments(app) -> bytes:
    return b"".join(bytes(block) for (block,) in raw(app, "SELECT block FROM mention_fts_data") if block)


def test_erasure_leaves_no_trace(app, client, world, monkeypatch):
    import backend.reporting

    requested = []
    monkeypatch.setattr(backend.reporting, "request_pdf", lambda report: requested.append(report.id))
    covering = _report_with_pdf(app, world, dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    elsewhere = _report_with_pdf(app, world, dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    engine = dialect(app)
    if engine == "sqlite":
        assert any(SECRET_WORD[:8] in term for term in _fts_vocabulary(app))  # the control
        assert SECRET_WORD[:8].encode() in _fts_segments(app)
    assert [m["external_id"] for m in listed(client, world, f"q={SECRET_WORD}")] == ["p1"]

    r = client.post(url(world.company_a, "/erase-author"), json={"handle": "@PRIVATE"}, headers=auth(world))
    assert r.status_code == 200 and r.json == {"deleted": 2}

    assert [m["external_id"] for m in listed(client, world)] == ["o1"]
    assert listed(client, world, f"q={SECRET_WORD}") == []
    assert listed(client, world, "q=private") == []
    export = client.get(url(world.company_a, "/export"), headers=auth(world, "read")).get_data(as_text=True)
    assert "rivate" not in export and SECRET_WORD not in export and "Second post" not in export
    assert raw(app, "SELECT count(*) FROM mention WHERE lower(author_handle) = '@private'")[0][0] == 1  # company B's
    if engine == "sqlite":
        assert not any(SECRET_WORD[:8] in term for term in _fts_vocabulary(app))
        assert SECRET_WORD[:8].encode() not in _fts_segments(app)  # optimised: no old segment keeps it
        assert raw(app, f"SELECT rowid FROM mention_fts WHERE mention_fts MATCH '{SECRET_WORD}'") == []
        # Company B's mention of the same person is B's business: still found by its words.
        assert raw(app, "SELECT rowid FROM mention_fts WHERE mention_fts MATCH 'company'") == \
            raw(app, "SELECT seq FROM mention WHERE external_id = 'b1'")
    else:
        matched = raw(app, "SELECT external_id FROM mention WHERE search @@ to_tsquery('simple', :w) "
                      "OR search @@ to_tsquery('english', :w)", w=SECRET_WORD)
        assert matched == []

    with as_system(app, world):
        from backend.extensions import db
        from backend.models import AuditEntry, MetricPoint, Report

        entries = list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "mentions.erase_author")))
        assert len(entries) == 1
        text = f"{entries[0].summary} {entries[0].object_id}"
        assert "2 deleted" in entries[0].summary and "rivate" not in text and SECRET_WORD not in text
        covered, other = db.session.get(Report, covering), db.session.get(Report, elsewhere)
        assert covered.pdf is None and covered.version == 2 and requested == [covering]
        assert other.pdf == b"%PDF-1.7 old" and other.version == 1
        negative = {(p.date, p.metric): p.value for p in db.session.scalars(db.select(MetricPoint).where(
            MetricPoint.company_id == world.company_a.id))}
    assert negative[(dt.date(2024, 5, 1), "mentions_negative")] == 0
    assert negative[(dt.date(2024, 5, 1), "mentions")] == 1  # @other's
    assert negative.get((dt.date(2024, 5, 2), "mentions"), 0) == 0


def test_erasure_of_an_unknown_author_and_bad_input(client, world):
    r = client.post(url(world.company_a, "/erase-author"), json={"handle": "@nobody"}, headers=auth(world))
    assert r.status_code == 200 and r.json == {"deleted": 0}
    for body in ({"handle": ""}, {}, {"handle": "x" * 201}, {"handle": 5}):
        r = client.post(url(world.company_a, "/erase-author"), json=body, headers=auth(world))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "handle", body
    assert client.post(url(world.company_a, "/erase-author"), json={"handle": "@other"},
                       headers=auth(world, "read")).status_code == 403
    assert len(listed(client, world)) == 3
