"""Browser-test fixtures (Playwright for Python driving Debian's Chromium), shared by the
dashboard and the agency admin UI tests.

- ``live_server`` (session): the app on a temporary SQLite file built by the migrations, CSRF
  protection ON (as in production), served by werkzeug in a thread on a free port.
  ``live_server.url``, ``live_server.app``, ``live_server.build_tenant(name)`` (two companies,
  users of every role — see tests/conftest.py ``Tenant``), ``live_server.acting(tenant)`` (a
  context manager to seed data through the services as that agency).
- ``browser`` (session): headless Chromium. Without a ``chromium`` binary the tests skip, unless
  ``REACHBOARD_REQUIRE_BROWSER=1`` (CI), where they fail.
- ``page``: a fresh browser context (1366×768, no shared cookies) and page for each test.
- ``login(page, email, password=PASSWORD)``: log in through the form; returns the page.
- ``screenshot(page, name)``: save ``screenshots/<name>.png`` (git-ignored).

Nothing is downloaded: ``executable_path`` points at the system's chromium; never run
``playwright install``.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1366, "height": 768}


def _root_conftest():
    """tests/conftest.py as a module (for make_app, build_tenant, PASSWORD)."""
    spec = importlib.util.spec_from_file_location("rb_root_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
PASSWORD = _ROOT.PASSWORD


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class LiveServer:
    url: str
    app: object

    def build_tenant(self, name: str):
        """An agency with an owner, admin, member, viewer (of company A), companies A and B, keys."""
        return _ROOT.build_tenant(self.app, name)

    @contextlib.contextmanager
    def acting(self, tenant_or_agency_id, label: str = "browser-test"):
        """An app context acting as the agency (full rights), to seed data through the services."""
        from backend.tenancy import Principal, acting_as

        agency_id = getattr(tenant_or_agency_id, "agency_id", tenant_or_agency_id)
        with self.app.app_context(), acting_as(Principal.system(agency_id, label)):
            yield


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if _ROOT.on_postgres():
        pytest.skip("browser tests run on the SQLite pass only")
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    db_file = tmp_path_factory.mktemp("live") / "live.db"
    app = _ROOT.make_app(f"sqlite:///{db_file}", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        from backend.extensions import db

        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = ("Chromium is not installed (no 'chromium' on PATH): browser tests skipped. "
                   "Install the Debian package: apt-get install -y chromium")
        if os.environ.get("REACHBOARD_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " — REACHBOARD_REQUIRE_BROWSER=1 demands them.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Every Content-Security-Policy violation a page meets is reported on the console (the browser
# reports blocked resources there too); the ``page`` fixture fails the test on any of them.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def new_page(browser, live_server, **context_args):
    """A fresh context and page that record console errors, failed requests and CSP violations."""
    context_args.setdefault("viewport", VIEWPORT)
    context_args.setdefault("locale", "en-GB")  # the browser's language (Accept-Language)
    context = browser.new_context(base_url=live_server.url, **context_args)
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    pg = context.new_page()
    pg.rb_console_errors = []
    pg.on("console", lambda msg: pg.rb_console_errors.append(f"{msg.text} [{msg.location.get('url', '')}]")
          if msg.type == "error" else None)
    pg.rb_failed_requests = []
    pg.on("response", lambda r: pg.rb_failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return context, pg


def csp_violations(pg) -> list[str]:
    return [e for e in pg.rb_console_errors if is_csp_violation(e)]


@pytest.fixture(scope="session")
def demo(live_server):
    """The demo agency (backend/demo/) on the live server: its owner's login and its companies' ids."""
    from sqlalchemy import select

    from backend.demo import DEMO_PASSWORD, OWNER_EMAIL, seed_demo
    from backend.extensions import db
    from backend.models import Company
    from backend.tenancy import cross_tenant

    with live_server.app.app_context():
        seed_demo(progress=lambda _message: None)
        with cross_tenant("browser test: find the demo companies"):
            companies = {c.name: str(c.id) for c in db.session.scalars(select(Company))}
    return {"email": OWNER_EMAIL, "password": DEMO_PASSWORD, "companies": companies}


@pytest.fixture
def page(browser, live_server):
    context, pg = new_page(browser, live_server)
    yield pg
    violations = csp_violations(pg)
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


def do_login(page, email: str, password: str = PASSWORD, next_path: str | None = None):
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("load")
    return page


@pytest.fixture
def login():
    """``login(page, email, password=PASSWORD)`` through the login form."""
    return do_login


def save_screenshot(page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` → screenshots/<name>.png (git-ignored)."""
    return save_screenshot
