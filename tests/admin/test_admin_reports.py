"""The report pages: /manage/companies/<id>/reports (make one for last month, a quarter or a range;
errors under their field), a report's page (the report on screen, the draft's commentary and
highlighted goals, mark ready, send with the address named when wrong, the PDF button saying why
it is disabled, the sendings), and the client viewer's read-only pages of sent reports."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from admin_world import TODAY


def _manage(tenant, *parts) -> str:
    return "/".join([f"/manage/companies/{tenant.company_a.id}/reports", *map(str, parts)])


def _report_id(resp) -> str:
    m = re.search(r"/reports/([0-9a-f-]{36})$", resp.headers["Location"])
    assert m, resp.headers.get("Location")
    return m.group(1)


@pytest.fixture
def goal_ids(app, tenant):
    from backend.services import goals
    from backend.tenancy import Principal, acting_as

    out = []
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        for company in (tenant.company_a, tenant.company_b):
            out.append(str(goals.create_goal(company.id, {
                "title": f"Grow {company.name}", "category": "customer_relations",
                "kpi": {"metric": "followers", "target": 2000, "start_date": TODAY - dt.timedelta(days=40),
                        "deadline": TODAY + dt.timedelta(days=300)}}).id))
    return out


def test_staff_make_review_and_send_a_report(app, tenant, login_as, goal_ids, outbox):
    owner = login_as(tenant, "owner")
    page = owner.get(_manage(tenant)).get_data(as_text=True)
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert f'value="{last_month}"' in page and 'data-testid="report-create"' in page
    resp = owner.post(_manage(tenant), data={"period_kind": "month", "month": last_month})
    assert resp.status_code == 302
    rid = _report_id(resp)
    again = owner.post(_manage(tenant), data={"period_kind": "month", "month": last_month})
    assert _report_id(again) == rid  # one report per period
    page = owner.get(_manage(tenant, rid)).get_data(as_text=True)
    assert 'class="rb-report' in page and 'data-status="draft"' in page and 'data-testid="report-edit"' in page
    assert 'data-state="current"' in page and "Download PDF" in page  # rendered inline (JOBS_IMMEDIATE)

    # A goal of another company is refused under the goals field; nothing saved.
    bad = owner.post(_manage(tenant, rid), data={"commentary": "Draft words", "version": "1",
                                                 "highlighted_goal_ids": goal_ids})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert re.search(r'data-field="highlighted_goal_ids">The company has no goal', body)
    assert "Draft words" in body  # what was typed is shown again
    saved = owner.post(_manage(tenant, rid), data={"commentary": "A good month.", "version": "1",
                                                   "highlighted_goal_ids": goal_ids[:1]})
    assert saved.status_code == 302
    page = owner.get(_manage(tenant, rid)).get_data(as_text=True)
    assert "A good month." in page and f'value="{goal_ids[0]}" checked' in page
    stale = owner.post(_manage(tenant, rid), data={"commentary": "Old tab", "version": "1"})
    assert stale.status_code == 409 and 'data-testid="form-error"' in stale.get_data(as_text=True)

    assert owner.post(_manage(tenant, rid, "ready")).status_code == 302
    page = owner.get(_manage(tenant, rid)).get_data(as_text=True)
    assert 'data-status="ready"' in page and 'data-testid="report-send"' in page and "report-edit" not in page
    wrong = owner.post(_manage(tenant, rid, "send"), data={"recipients": "client@example.com\nnot an address"})
    assert wrong.status_code == 422
    assert re.search(r'data-field="recipients">.*not an address', wrong.get_data(as_text=True))
    sent = owner.post(_manage(tenant, rid, "send"), data={"recipients": "client@example.com, boss@example.com"})
    assert sent.status_code == 302
    page = owner.get(_manage(tenant, rid)).get_data(as_text=True)
    assert 'data-status="sent"' in page and 'data-delivery-status="sent"' in page
    assert "client@example.com, boss@example.com" in page
    assert len(list(outbox.iterdir())) == 1
    pdf = owner.get(_manage(tenant, rid, "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    listing = owner.get(_manage(tenant)).get_data(as_text=True)
    assert listing.count('data-status="sent"') == 1
    assert owner.post(_manage(tenant, rid, "delete")).status_code == 302
    assert owner.get(_manage(tenant, rid)).status_code == 404


def test_quarter_and_range_forms_name_their_problems(app, tenant, login_as, monkeypatch):
    from backend.services import reports

    monkeypatch.setattr(reports, "request_pdf", lambda report: None)
    member = login_as(tenant, "member")
    bad = member.post(_manage(tenant), data={"period_kind": "custom", "period_start": "2026-03-10",
                                             "period_end": "2026-03-01"})
    assert bad.status_code == 422
    assert re.search(r'data-field="period_end">The period ends before it starts', bad.get_data(as_text=True))
    bad = member.post(_manage(tenant), data={"period_kind": "quarter", "quarter": "2026-Q7"})
    assert bad.status_code == 422 and 'data-field="quarter"' in bad.get_data(as_text=True)
    made = member.post(_manage(tenant), data={"period_kind": "quarter", "quarter": "2026-Q2"})
    page = member.get(made.headers["Location"]).get_data(as_text=True)
    assert "Q2 2026 report" in page and "2026-04-01 – 2026-06-30" in page
    # Not rendered yet: the button is disabled and says so.
    assert 'data-state="rendering"' in page and "PDF being rendered" in page


def test_without_a_renderer_the_pdf_button_says_what_is_missing(app, tenant, login_as, monkeypatch):
    from backend.services import reports

    monkeypatch.setattr(reports, "request_pdf", lambda report: None)
    monkeypatch.setattr(reports, "pdf_status", lambda: (False, "The PDF needs Chromium (apt-get install chromium)."))
    owner = login_as(tenant, "owner")
    rid = _report_id(owner.post(_manage(tenant), data={"period_kind": "month", "month": "2026-09"}))
    page = owner.get(_manage(tenant, rid)).get_data(as_text=True)
    assert 'data-state="unavailable"' in page
    assert re.search(r'<button[^>]*disabled data-testid="download-pdf">Download PDF</button>', page)
    assert "No PDF on this server: The PDF needs Chromium" in page
    assert 'class="rb-report' in page  # the report itself is still shown
    assert owner.get(_manage(tenant, rid, "pdf")).status_code == 503


def test_client_viewers_read_sent_reports_only(app, tenant, login_as, monkeypatch):
    from backend.extensions import db
    from backend.models import Report
    from backend.services import reports
    from backend.tenancy import Principal, acting_as

    monkeypatch.setattr(reports, "request_pdf", lambda report: None)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        sent, _ = reports.create_report(tenant.company_a.id, period_kind="month", anchor=dt.date(2026, 8, 1),
                                        commentary="August, as sent")
        draft, _ = reports.create_report(tenant.company_a.id, period_kind="month", anchor=dt.date(2026, 9, 1),
                                         commentary="September, unfinished")
        row = db.session.get(Report, sent.id)
        row.status, row.sent_at = "sent", dt.datetime(2026, 9, 2, 8)
        row.pdf, row.pdf_version, row.pdf_sha256 = b"%PDF-1.7 sent", row.version, "cd" * 32
        db.session.commit()
        sent_id, draft_id = sent.id, draft.id
    viewer = login_as(tenant, "viewer")
    base = f"/companies/{tenant.company_a.id}/reports"
    listing = viewer.get(base).get_data(as_text=True)
    assert "August 2026" in listing and "September 2026" not in listing
    page = viewer.get(f"{base}/{sent_id}").get_data(as_text=True)
    assert "August, as sent" in page and 'data-state="current"' in page and "/manage" not in page
    assert viewer.get(f"{base}/{sent_id}/pdf").data == b"%PDF-1.7 sent"
    assert viewer.get(f"{base}/{draft_id}").status_code == 404
    assert viewer.get(f"{base}/{draft_id}/pdf").status_code == 404
    assert viewer.get(f"/companies/{tenant.company_b.id}/reports").status_code == 404
    # /manage stays closed to them.
    assert viewer.get(_manage(tenant)).status_code == 403
    assert viewer.get(_manage(tenant, sent_id)).status_code == 403
    # The dashboard's navigation leads there.
    from dashboard.pages.common import reports_url

    assert reports_url(tenant.company_a.id) == base
