"""Retention of mention texts and authors (backend/services/listening/retention.py), under a
frozen clock: each agency's period, batches, the daily counts untouched, the full-text index
optimized; and the agency setting (service, API, /manage) with its bounds."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from listening.rollup_world import add_channels, as_system, insert, mention_count, new_mention, stored

NOW = dt.datetime(2026, 3, 31, 2, 0)  # a month end: 1 month earlier is 28 February


@pytest.fixture
def frozen(monkeypatch):
    from backend.services.listening import retention

    monkeypatch.setattr(retention, "_utcnow", lambda: NOW)
    return NOW


def _set_months(app, tenant, months):
    from backend.extensions import db
    from backend.models import Agency

    with app.app_context():
        from backend.tenancy import cross_tenant

        with cross_tenant("test"):
            db.session.get(Agency, tenant.agency_id).mention_retention_months = months
            db.session.commit()


def test_months_before_clamps_to_the_months_last_day():
    from backend.services.listening.retention import months_before

    assert months_before(NOW, 1) == dt.datetime(2026, 2, 28, 2, 0)
    assert months_before(NOW, 24) == dt.datetime(2024, 3, 31, 2, 0)
    assert months_before(dt.datetime(2026, 1, 15), 13) == dt.datetime(2024, 12, 15)
    assert months_before(dt.datetime(2024, 2, 29, 12), 120) == dt.datetime(2014, 2, 28, 12)


def test_purge_deletes_only_what_is_older_than_each_agencys_period_and_keeps_the_counts(app, tenants, frozen):
    from backend.extensions import db
    from backend.models import AuditEntry, Mention, MentionTopic, Topic
    from backend.services.listening import retention

    acme, globex = tenants
    acme_ch, globex_ch = add_channels(app, acme), add_channels(app, globex)
    _set_months(app, globex, 6)
    old, edge, recent = dt.datetime(2024, 3, 30, 12), dt.datetime(2024, 3, 31, 2, 0), dt.datetime(2025, 12, 1)
    acme_seqs = insert(app, acme, [
        new_mention(acme.company_a.id, acme_ch["fb"], old, text="ancient words", handle="@old"),
        new_mention(acme.company_a.id, acme_ch["fb"], old + dt.timedelta(hours=1), sentiment="negative"),
        new_mention(acme.company_a.id, acme_ch["fb"], edge, text="exactly at the edge"),  # not older: kept
        new_mention(acme.company_a.id, acme_ch["ig"], recent)])
    insert(app, globex, [new_mention(globex.company_a.id, globex_ch["fb"], recent),  # 4 months: kept
                         new_mention(globex.company_a.id, globex_ch["fb"], dt.datetime(2025, 9, 1))])  # 7: gone
    with as_system(app, acme):
        topic = Topic(company_id=acme.company_a.id, name="Old things", keywords=[])
        db.session.add(topic)
        db.session.flush()
        db.session.add(MentionTopic(company_id=acme.company_a.id, mention_seq=acme_seqs[0], topic_id=topic.id,
                                    tagged_by="manual"))
        db.session.commit()
    counts_before = stored(app, acme), stored(app, globex)

    with app.app_context():
        assert retention.purge_expired() == 3
    assert mention_count(app, acme) == 2 and mention_count(app, globex) == 1
    with as_system(app, acme):
        left = {m.text for m in db.session.scalars(select(Mention))}
        assert left == {"exactly at the edge", "A mention"}
        assert db.session.scalars(select(MentionTopic)).all() == []  # the tags went with their mentions
        summaries = [e.summary for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "mentions.retention"))]
        assert summaries == ["Deleted 2 mentions published before 2024-03-31 02:00 UTC (kept 24 months); "
                             "the daily counts stay"]
    # The daily counts stay as they were rolled up.
    assert (stored(app, acme), stored(app, globex)) == counts_before
    assert stored(app, acme)[("fb", "mentions", "2024-03-30")] == 2
    # Nothing more to do: a second run deletes nothing.
    with app.app_context():
        assert retention.purge_expired() == 0


def test_purge_goes_in_batches_and_leaves_no_word_in_the_search_index(app, tenant, frozen, monkeypatch,
                                                                      statements):
    from sqlalchemy import text

    from backend.extensions import db
    from backend.services.listening import retention

    ch = add_channels(app, tenant)
    monkeypatch.setattr(retention, "BATCH", 3)
    old = dt.datetime(2023, 1, 1, 12)
    insert(app, tenant, [new_mention(tenant.company_a.id, ch["fb"], old + dt.timedelta(hours=i),
                                     text=f"zanzibarish quokkafied number{i}") for i in range(7)]
           + [new_mention(tenant.company_a.id, ch["fb"], dt.datetime(2026, 1, 1), text="fresh words")])
    with app.app_context(), statements("DELETE FROM mention ") as deletes:
        assert retention.purge_expired() == 7
    assert len(deletes) == 3  # 3 + 3 + 1 mentions, each batch its own statement and transaction
    assert mention_count(app, tenant) == 1
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab "
                                     "USING fts5vocab(main, mention_fts, row)")
                words = {w for (w,) in conn.exec_driver_sql("SELECT term FROM temp.fts_vocab")}
            assert not any(w.startswith(("zanzibar", "quokka")) for w in words), words
            assert "fresh" in words
        else:
            with db.engine.connect() as conn:
                hits = conn.execute(text("SELECT count(*) FROM mention WHERE search @@ plainto_tsquery('simple', "
                                         "'zanzibarish')")).scalar()
            assert hits == 0


def test_purge_with_an_explicit_now(app, tenant):
    from backend.services.listening import retention

    ch = add_channels(app, tenant)
    insert(app, tenant, [new_mention(tenant.company_a.id, ch["fb"], dt.datetime(2020, 1, 1)),
                         new_mention(tenant.company_a.id, ch["fb"], dt.datetime(2021, 6, 1))])
    with app.app_context():
        assert retention.purge_expired(now=dt.datetime(2022, 3, 1)) == 1  # 24 months back: 2020-03-01
    assert mention_count(app, tenant) == 1


def test_purge_makes_again_the_pdfs_of_reports_over_the_days_it_emptied(app, tenant, frozen, monkeypatch):
    """A stored report PDF quotes example mentions (texts, authors): once those are past the
    retention period, the reports over their days get a new version without them, as an author's
    erasure does; a report over days that kept their mentions is left as it is."""
    import backend.reporting
    from backend.extensions import db
    from backend.models import AuditEntry, Report
    from backend.services.listening import retention

    requested: list = []
    monkeypatch.setattr(backend.reporting, "request_pdf", lambda report: requested.append(report.id))
    ch = add_channels(app, tenant)
    insert(app, tenant, [new_mention(tenant.company_a.id, ch["fb"], dt.datetime(2024, 3, 10, 9), text="quoted"),
                         new_mention(tenant.company_a.id, ch["fb"], dt.datetime(2024, 4, 10, 9))])
    ids = {}
    with as_system(app, tenant):
        for month in (3, 4):
            report = Report(company_id=tenant.company_a.id, period_kind="month", period_start=dt.date(2024, month, 1),
                            period_end=dt.date(2024, month, 28), status="sent", pdf=b"%PDF-1.7 old", pdf_version=1,
                            pdf_sha256="0" * 64, pdf_pages=2)
            db.session.add(report)
            db.session.commit()
            ids[month] = report.id
    with app.app_context():
        assert retention.purge_expired() == 1  # 24 months before NOW: 2024-03-31 02:00
    with as_system(app, tenant):
        march, april = db.session.get(Report, ids[3]), db.session.get(Report, ids[4])
        assert march.pdf is None and march.version == 2 and requested == [ids[3]]
        assert april.pdf == b"%PDF-1.7 old" and april.version == 1
        summary = db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "mentions.retention"))
        assert summary.endswith("the daily counts stay; 1 report PDF to be made again")


# ---------------------------------------------------------------------------------------------
# The setting: 1 to 120 months, owners and admins, API and /manage
# ---------------------------------------------------------------------------------------------


def test_the_api_reads_and_changes_the_retention_period(app, tenant, api):
    admin = api(tenant.keys["admin"])
    r = admin.get("/api/v1/agency")
    assert r.status_code == 200 and r.json["mention_retention_months"] == 24
    r = admin.patch("/api/v1/agency", json={"mention_retention_months": 6})
    assert r.status_code == 200, r.json
    assert r.json["mention_retention_months"] == 6
    for bad in (0, 121, -1, 12.5, "12", None, True):
        r = admin.patch("/api/v1/agency", json={"mention_retention_months": bad, "name": "Never saved"})
        assert r.status_code == 422, (bad, r.status_code)
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert "mention_retention_months" in str(r.json), r.json
    r = admin.get("/api/v1/agency")
    assert (r.json["mention_retention_months"], r.json["name"]) == (6, "Acme Agency")
    # A write key (not admin) may not change it.
    assert api(tenant.keys["write"]).patch("/api/v1/agency", json={"mention_retention_months": 3}).status_code == 403


def test_the_service_checks_the_bounds(app, tenant):
    from backend.services import agency
    from backend.services.errors import ValidationFailed

    with as_system(app, tenant):
        for bad in (0, 121, "abc", 3.0, None):
            with pytest.raises(ValidationFailed) as err:
                agency.update_agency({"mention_retention_months": bad})
            assert err.value.errors[0]["field"] == "mention_retention_months"
        assert agency.update_agency({"mention_retention_months": "120"}).mention_retention_months == 120
        assert agency.update_agency({"mention_retention_months": 1}).mention_retention_months == 1


def test_the_manage_page_shows_and_saves_the_setting(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    page = owner.get("/manage/agency")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="mention_retention_months"' in html and 'value="24"' in html
    r = owner.post("/manage/agency", data={"name": "Acme Agency", "mention_retention_months": "200"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "is-invalid" in html and 'value="200"' in html  # the message next to the field, the input kept
    r = owner.post("/manage/agency", data={"name": "Acme Agency", "mention_retention_months": ""})
    assert r.status_code == 422 and "Fill this in." in r.get_data(as_text=True)
    r = owner.post("/manage/agency", data={"name": "Acme Agency", "mention_retention_months": "18"})
    assert r.status_code == 302
    assert 'value="18"' in owner.get("/manage/agency").get_data(as_text=True)
    # Members and viewers may not.
    assert login_as(tenant, "member").get("/manage/agency").status_code == 403
    assert login_as(tenant, "member").post("/manage/agency", data={"mention_retention_months": "2"}).status_code == 403
