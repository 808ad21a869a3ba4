"""A client report's content and layout (backend/read_models/report.py, backend/reporting/,
backend/jobs/report_pdf.py): the view's sections and generated sentences, a period without data,
tenant isolation, the screen HTML (no inline script, charts as JSON data blocks), and the PDF
rendered by the worker's job, read back with Debian's poppler-utils (pdftotext, pdfinfo, pdftoppm).

Rendering is slow (Chromium for the charts), so one module-scoped fixture builds the data,
renders everything once and keeps the results; the database is wiped after the first test.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ApiClient, build_tenant
from dashboard_seed import seed_company

SCREENS = Path("/tmp/screens")
# CI (REACHBOARD_REQUIRE_BROWSER=1, set by .ci/run, which installs both) runs these, never skips them.
needs_pdf_tools = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("chromium"))
                                     and not os.environ.get("REACHBOARD_REQUIRE_BROWSER"),
                                     reason="needs poppler-utils and chromium (Debian packages)")


def _last_full_month(day: dt.date) -> tuple[dt.date, dt.date]:
    end = day.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _build(app) -> SimpleNamespace:
    from backend.extensions import db
    from backend.models import Goal, Report, StrategyRevision
    from backend.read_models.report import report_view
    from backend.reporting import pdf_status, render_report_html
    from backend.services import branding, channels, goals, metrics
    from backend.tenancy import Principal, acting_as

    acme, globex = build_tenant(app, "Acme Agency"), build_tenant(app, "Globex Agency")
    out = SimpleNamespace(acme=acme, globex=globex)
    company = acme.company_a
    with app.test_request_context(), acting_as(Principal.system(acme.agency_id, "test")):
        seeded = seed_company(company.id)
        start, end = _last_full_month(seeded["end"])
        branding.update_branding({"primary_color": "#5F3DC4", "footer": "Acme Agency · hello@acme.test"})
        branding.set_logo(_png_logo(), "logo.png")
        # A third channel that reported nothing from the 11th to the 20th of the period.
        channels.create_channel(company.id, {"key": "linkedin", "platform": "linkedin", "name": "LinkedIn"})
        metrics.push_points(company.id, [
            {"channel": "linkedin", "metric": "followers", "date": (start + dt.timedelta(days=i)).isoformat(),
             "value": 300 + i} for i in range((end - start).days + 1) if not 10 <= i <= 19])
        # A goal far out of reach: off track, so the report draws its path.
        crisis = goals.create_goal(company.id, {
            "title": "Crisis answers within reach", "category": "crisis_dialogue",
            "kpi": {"metric": "followers", "channel": "instagram", "aggregation": "latest", "target": 90000,
                    "start_date": (start - dt.timedelta(days=40)).isoformat(),
                    "deadline": (end + dt.timedelta(days=30)).isoformat()}})
        # The strategy's only revision, saved in the middle of the period.
        revision = db.session.scalars(db.select(StrategyRevision)).one()
        revision.created_at = dt.datetime.combine(start + dt.timedelta(days=9), dt.time(10))
        report = Report(company_id=company.id, period_kind="month", period_start=start, period_end=end,
                        commentary="A strong month for Instagram.\n\nNext month: the autumn campaign.",
                        highlighted_goal_ids=[seeded["goal_ids"][1]])
        # A company with no figures at all: its report still renders. Its goal's title would end a
        # <script> element if the chart's data block let it.
        goals.create_goal(acme.company_b.id, {
            "title": "</script><script>alert(1)</script>", "category": "other",
            "kpi": {"metric": "reach", "channel": "all", "aggregation": "total", "target": 1000,
                    "start_date": start.isoformat(), "deadline": end.isoformat()}})
        empty = Report(company_id=acme.company_b.id, period_kind="month", period_start=start, period_end=end)
        db.session.add_all([report, empty])
        db.session.commit()
        out.start, out.end, out.report_id, out.empty_id = start, end, report.id, empty.id
        out.goal_titles = [g.title for g in db.session.scalars(db.select(Goal).where(Goal.company_id == company.id))]
        out.crisis_id, out.highlighted_id = str(crisis.id), seeded["goal_ids"][1]
        out.view = report_view(report)
        out.empty_view = report_view(empty)
        out.screen = render_report_html(report, mode="screen")
        out.share = render_report_html(report, mode="share")
        out.empty_screen = render_report_html(empty, mode="screen")
        out.pdf_ok = pdf_status()[0]
    # Another agency reaches neither the report nor its company.
    from backend.services.errors import NotFound

    with app.test_request_context(), acting_as(Principal.system(globex.agency_id, "test")):
        report_row = SimpleNamespace(id=out.report_id, company_id=company.id, period_kind="month",
                                     period_start=start, period_end=end, highlighted_goal_ids=[], commentary="",
                                     version=1, status="draft")
        try:
            report_view(report_row)
            out.other_agency = "reached"
        except NotFound:
            out.other_agency = "not found"
        from backend.jobs.report_pdf import render_report_pdf

        render_report_pdf(globex.agency_id, out.report_id)  # finds nothing in its own agency
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        out.pdf_after_other_agency = db.session.get(Report, out.report_id).pdf_version
    # The API's numbers for the same period.
    api = ApiClient(app.test_client(), acme.keys["read"])
    resp = api.get(f"/api/v1/companies/{company.id}/metrics/summary?from={start}&to={end}")
    assert resp.status_code == 200, resp.get_json()
    out.api = {m["metric"]: m for m in resp.get_json()["metrics"]}
    resp = api.get(f"/api/v1/companies/{company.id}/metrics/summary?from={start}&to={end}&compare=year")
    out.api_year = {m["metric"]: m for m in resp.get_json()["metrics"]}
    out.static = {path: app.test_client().get(path) for path in _script_sources(out.screen)}
    if out.pdf_ok:
        from backend.jobs.report_pdf import render_report_pdf

        render_report_pdf(acme.agency_id, out.report_id)  # the worker's job (inline in the tests)
        with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
            row = db.session.get(Report, out.report_id)
            out.pdf, out.pdf_pages, out.pdf_sha = row.pdf, row.pdf_pages, row.pdf_sha256
            out.pdf_version, out.version, first_rendered = row.pdf_version, row.version, row.pdf_rendered_at
        render_report_pdf(acme.agency_id, out.report_id)  # current: skipped
        with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
            out.rendered_again = db.session.get(Report, out.report_id).pdf_rendered_at != first_rendered
    return out


def _png_logo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 40), "#F08C00").save(out, "PNG")
    return out.getvalue()


def _script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


@pytest.fixture(scope="module")
def world(app):
    return _build(app)


def _pdf_file(world) -> str:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / "report.pdf"
    path.write_bytes(world.pdf)
    return str(path)


def _tool(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, check=True).stdout.decode()


def _text(world) -> str:
    if not hasattr(world, "pdf_text"):
        world.pdf_text = _tool("pdftotext", "-layout", _pdf_file(world), "-")
    return world.pdf_text


# --- the view ---------------------------------------------------------------------------------

def test_the_view_has_every_section(world):
    v = world.view
    assert v.cover.company_name == world.acme.company_a.name
    assert v.cover.agency_name == "Acme Agency" and v.cover.primary_color == "#5F3DC4"
    assert v.cover.logo_data_uri.startswith("data:image/png;base64,") and "hello@acme.test" in v.cover.footer
    assert v.cover.period_label == f"{world.start:%B %Y}"
    assert v.has_data and v.charts is not None
    assert v.commentary.startswith("A strong month")
    assert [k.metric for k in v.kpis][:3] == ["followers", "follower_growth", "reach"]
    assert v.year_earlier is not None and v.previous[1] == world.start - dt.timedelta(days=1)
    # Both channels' follower lines, the critical-mass line, the campaign clipped to the period.
    assert {line["label"] for line in v.charts.follower_lines} == {"Facebook page", "Instagram", "LinkedIn"}
    assert v.charts.target["label"] == "Critical mass"
    assert v.charts.mentions["positive"] and v.charts.mentions["sentiment_score"]
    assert sorted(g.title for g in v.goals) == sorted(world.goal_titles)
    assert v.goals[0].id == world.highlighted_id and v.goals[0].highlighted  # highlighted first
    assert not any(g.highlighted for g in v.goals[1:])
    crisis = next(g for g in v.goals if g.id == world.crisis_id)
    assert crisis.status == "off_track" and crisis.path is not None and crisis.path.actual
    assert all(g.path is None for g in v.goals if g.status not in ("at_risk", "off_track"))
    assert [c.name for c in v.campaigns] == ["Spring push"] or v.campaigns == []
    assert v.strategy.objective.startswith("Become the") and v.strategy.channel_plan
    assert [c.revision for c in v.strategy.changes] == [1] and "objective" in v.strategy.changes[0].fields
    assert {f.channel for f in v.freshness} == {"facebook", "instagram", "linkedin"}
    days = (world.end - world.start).days + 1
    assert [(f.channel, f.days_reported, f.days_expected, f.gaps) for f in v.gaps] == [
        ("linkedin", days - 10, days, [(world.start + dt.timedelta(days=10), world.start + dt.timedelta(days=19))])]


def test_kpi_cards_equal_the_apis_summary_for_the_period(world):
    assert world.view.kpis
    for k in world.view.kpis:
        assert k.value == pytest.approx(world.api[k.metric]["value"]), k.metric
        assert k.change_percent == pytest.approx(world.api[k.metric]["change_percent"]), k.metric
        assert k.year_ago == pytest.approx(world.api_year[k.metric]["previous"]), k.metric


def test_generated_sentences(world):
    v = world.view
    followers = next(k for k in v.kpis if k.metric == "followers")
    s = v.sentences
    grew = "grew" if followers.change_percent > 0 else "fell"
    assert f"Followers {grew} {abs(followers.change_percent):.0f} % to" in s[0]
    good = sum(1 for g in v.goals if g.status in ("on_track", "achieved"))
    assert f"{good} of {len(v.goals)} sub-goals" in " ".join(s)
    off = [g.title for g in v.goals if g.status == "off_track"]
    assert "Crisis answers within reach" in off
    assert " and ".join(f"“{t}”" for t in off) + (" are off track." if len(off) > 1 else " is off track.") in s
    assert any(x.startswith("The strategy was revised once in the period") for x in s)
    assert "Figures are missing for some days on “LinkedIn”; see Data freshness." in s


def test_a_period_without_data_renders_and_says_so(world):
    v = world.empty_view
    assert not v.has_data and v.charts is None and v.kpis == []
    assert v.sentences[0].startswith("No figures were reported for this period")
    assert "No figures were reported between" in world.empty_screen
    assert 'data-chart="goals"' in world.empty_screen and 'data-chart="followers"' not in world.empty_screen


def test_user_text_cannot_break_out_of_the_page(world):
    """A goal titled "</script><script>…" stays text: escaped in the table, and \u003c-escaped
    inside the chart's JSON data block, which still parses to the title."""
    html = world.empty_screen
    assert "<script>alert(1)" not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    block = re.search(r'<script type="application/json" id="chart-data-goals">(.*?)</script>', html, re.S)
    assert "alert(1)" in json.dumps(json.loads(block.group(1)))


def test_another_agency_reaches_neither_the_report_nor_its_pdf(world):
    assert world.other_agency == "not found"
    assert world.pdf_after_other_agency == 0  # the other agency's job found no such report


# --- HTML on screen -----------------------------------------------------------------------------

def test_screen_html_draws_charts_from_data_blocks_without_inline_script(world):
    html = world.screen
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in a or 'type="application/json"' in a for a in scripts)
    ids = re.findall(r'data-chart="([^"]+)"', html)
    assert {"followers", "reach", "engagement", "mentions", "goals", f"path-{world.crisis_id}"} <= set(ids)
    block = re.search(r'<script type="application/json" id="chart-data-followers">(.*?)</script>', html, re.S)
    figure = json.loads(block.group(1))
    assert {t["name"] for t in figure["data"]} >= {"Facebook page", "Instagram"}
    # The scripts are the app's own files, served to anyone (a share page has no session).
    assert len(world.static) == 2 and all(r.status_code == 200 for r in world.static.values())
    assert any("/vendor/plotly-basic.min.js?v=" in src for src in world.static)
    # Fingerprinted, so browsers keep them a year.
    assert {r.headers["Cache-Control"] for r in world.static.values()} == {"public, max-age=31536000, immutable"}


def test_share_html_has_no_link_into_the_app(world):
    html = world.share
    assert "/api/" not in html and "/dashboard" not in html and "_dash" not in html
    assert "href=\"/manage" not in html and str(world.acme.company_b.id) not in html
    assert "Draft" not in html


# --- the PDF --------------------------------------------------------------------------------------

@needs_pdf_tools
def test_the_job_stores_the_pdf_once_per_version(world):
    assert world.pdf.startswith(b"%PDF-") and world.pdf_version == world.version
    assert len(world.pdf_sha) == 64 and not world.rendered_again


@needs_pdf_tools
def test_pdf_text_has_company_period_goals_and_the_apis_numbers(world):
    from backend.read_models.report_text import value_text
    from backend.services import catalog

    text = _text(world)
    flat = " ".join(text.split())
    assert world.acme.company_a.name in flat
    assert f"{world.start:%B %Y}" in flat
    assert "Acme Agency · hello@acme.test" in flat  # the agency's footer line, on every page
    assert flat.count("hello@acme.test") >= world.pdf_pages
    lines = text.splitlines()
    for g in world.view.goals:  # the goals' table: the title's first line and its status side by side
        assert any(g.title[:15] in line and g.status_label in line for line in lines), (g.title, g.status_label)
    for metric in ("followers", "reach", "engagement_rate", "mentions", "sentiment_score", "cost_per_1k_reach"):
        api_text = value_text(world.api[metric]["value"], catalog.get(metric).unit)
        assert api_text in flat, (metric, api_text)


@needs_pdf_tools
def test_pdf_page_count_is_sane_and_pages_are_numbered(world):
    info = _tool("pdfinfo", _pdf_file(world))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages == world.pdf_pages and 3 <= pages <= 10
    assert f"Page 1 of {pages}" in _text(world) and f"Page {pages} of {pages}" in _text(world)


@needs_pdf_tools
def test_pdf_charts_are_vector_drawings_with_selectable_text(world):
    """The charts arrive as SVG and stay vectors: their legends and labels are text in the PDF,
    and no chart was turned into a bitmap."""
    flat = " ".join(_text(world).split())
    for words in ("Facebook page", "Instagram", "Critical mass: 12k", "Reach (people)", "Engagement rate",
                  "Positive", "Needed to reach the target"):
        assert words in flat, words
    images = _tool("pdfimages", "-list", _pdf_file(world)).strip().splitlines()[2:]
    assert [row.split()[:5] for row in images] == [["1", "0", "image", "120", "40"]]  # the logo, no chart
    _tool("pdftoppm", "-png", "-r", "80", _pdf_file(world), str(SCREENS / "report-page"))
    assert (SCREENS / "report-page-1.png").stat().st_size > 10_000


# --- the screen, in a browser ---------------------------------------------------------------------

CSP_LISTENER = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")); });"""


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_screen_report_draws_its_charts_in_a_browser_under_the_strict_csp(world, app):
    """The screen HTML in a page with the app's strict Content-Security-Policy: every chart is
    drawn by the vendored Plotly from its data block, with no console error or CSP violation.
    The app's files are answered by the app itself (no server, nothing from the internet)."""
    from playwright.sync_api import sync_playwright

    from backend.headers import content_security_policy

    page_html = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Report</title></head>"
                 f"<body style='margin:24px'>{world.screen}</body></html>")
    csp = content_security_policy([], allow_eval=False)
    client = app.test_client()

    def answer(route):
        url = route.request.url
        path = url.split("://", 1)[1].split("/", 1)[1]
        if path == "report":
            return route.fulfill(status=200, body=page_html, headers={
                "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp})
        if not url.startswith("http://reachboard.test/"):
            return route.abort()
        resp = client.get("/" + path)
        return route.fulfill(status=resp.status_code, body=resp.get_data(),
                             headers={"Content-Type": resp.headers.get("Content-Type", "")})

    errors: list[str] = []

    def drive() -> None:
        # In a thread of its own: the sync API refuses a thread whose asyncio loop runs, as the
        # main thread's does once the browser tests' session-wide Playwright has started.
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.add_init_script(CSP_LISTENER)
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.route("**/*", answer)
                page.goto("http://reachboard.test/report")
                expected = len(re.findall(r'data-chart="', world.screen))
                page.wait_for_function(f"document.querySelectorAll('[data-drawn]').length === {expected}",
                                       timeout=20_000)
                assert page.locator(".rb-chart .main-svg").count() >= expected
                SCREENS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENS / "report-screen.png"), full_page=True)
            finally:
                browser.close()

    failures: list[BaseException] = []

    def run() -> None:
        try:
            drive()
        except BaseException as exc:  # noqa: BLE001 - raised again below
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if failures:
        raise failures[0]
    assert errors == []


# --- without Chromium ------------------------------------------------------------------------------

def test_without_chromium_the_pdf_says_what_is_missing_and_a_failed_rendering_is_recorded(app, tenant,
                                                                                            monkeypatch):
    """pdf_status names Chromium; request_pdf then enqueues nothing; a job that meets the missing
    browser records why on the report (pdf_error) and stores no PDF."""
    from backend.extensions import db
    from backend.jobs.report_pdf import render_report_pdf
    from backend.models import Report
    from backend.reporting import pdf as pdf_module
    from backend.reporting import pdf_status, request_pdf
    from backend.tenancy import Principal, acting_as

    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    ok, why = pdf_status()
    assert not ok and "Chromium" in why and "apt-get install chromium" in why
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        report = Report(company_id=tenant.company_a.id, period_kind="month", period_start=dt.date(2026, 9, 1),
                        period_end=dt.date(2026, 9, 30))
        db.session.add(report)
        db.session.commit()
        report_id = report.id
        request_pdf(report)  # nothing enqueued: the job would run inline here
        assert (report.pdf_version, report.pdf_error) == (0, "")
    render_report_pdf(tenant.agency_id, report_id)  # as if enqueued before Chromium went away
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        row = db.session.get(Report, report_id)
        assert row.pdf is None and row.pdf_version == 0
        assert row.pdf_error.startswith("PdfUnavailable: The PDF needs Chromium")


def test_period_words_and_chart_granularity():
    from backend.read_models.report import granularity_for, period_label

    assert period_label("month", dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == "October 2026"
    assert period_label("quarter", dt.date(2026, 7, 1), dt.date(2026, 9, 30)) == "Q3 2026"
    assert period_label("custom", dt.date(2026, 8, 3), dt.date(2026, 9, 14)) == "3 Aug – 14 Sep 2026"
    assert period_label("custom", dt.date(2025, 12, 3), dt.date(2026, 1, 14)) == "3 Dec 2025 – 14 Jan 2026"
    assert [granularity_for(dt.date(2026, 1, 1), dt.date(2026, 1, 1) + dt.timedelta(days=n - 1))
            for n in (31, 62, 92, 366, 400)] == ["day", "day", "week", "week", "month"]


def test_asking_whether_pdfs_can_be_made_imports_no_renderer():
    """gunicorn's workers ask pdf_status for every report they make or serve; only the consumer
    renders, so asking must not load WeasyPrint or kaleido into the worker (about 20 MiB each)."""
    import sys

    probe = ("import sys; from backend.reporting.pdf import pdf_status; ok, why = pdf_status(); "
             "print(ok, 'weasyprint' in sys.modules, 'kaleido' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert out.stdout.split()[1:] == ["False", "False"], out.stdout + out.stderr
