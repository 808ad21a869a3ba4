"""Shared fixtures.

The suite runs on SQLite by default. ``REACHBOARD_TEST_DB=postgres`` with ``TEST_POSTGRES_URL``
runs it on PostgreSQL: each pytest session creates its own database there and drops it at
the end. Tests that do not touch the database (pure functions, browser) are marked
``no_db`` and run on the SQLite pass only.

Fixtures:
- ``app`` (session): one app on a fresh schema (built by the migrations); rows are wiped
  after every test.
- ``client``, ``runner``; ``tenants``: two agencies, each with an owner, admin, member, a client
  viewer of company A, companies A and B, and an API key of every scope (``Tenant`` below).
- ``api(tenant_key)`` / ``login(client, user)``: make requests as a principal.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    config.addinivalue_line("markers", "no_db: does not use the database; runs on the SQLite pass only")
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")
    config.addinivalue_line("markers", "slow: starts servers or moves a lot of data")


def pytest_terminal_summary(terminalreporter):
    from openapi_check import answers_checked

    if answers_checked():
        terminalreporter.write_line(f"OpenAPI contract: {answers_checked()} API answers held to the document, "
                                    "none undocumented (tests/support/openapi_check.py)")


def on_postgres() -> bool:
    return os.environ.get("REACHBOARD_TEST_DB") == "postgres"


def pytest_collection_modifyitems(config, items):
    if not on_postgres():
        return
    skip = pytest.mark.skip(reason="not a database test: runs on the SQLite pass only")
    for item in items:
        if "no_db" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, empty database for this pytest session."""
    if on_postgres():
        base = os.environ.get("TEST_POSTGRES_URL")
        if not base:
            pytest.exit("REACHBOARD_TEST_DB=postgres needs TEST_POSTGRES_URL", returncode=2)
        from config import normalise_database_url

        base = normalise_database_url(base)
        name = f"rb_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + "/" + name
        yield url
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_app(database_url: str, **overrides):
    """Build an app on the given database with the testing config plus overrides. Its test
    clients hold every API answer to the OpenAPI document (``ContractClient``)."""
    from backend import create_app
    from config import TestingConfig

    cfg = TestingConfig()
    settings = cfg.as_dict()
    settings["SQLALCHEMY_DATABASE_URI"] = database_url
    settings.update(overrides)
    application = create_app(settings)
    application.test_client_class = ContractClient
    return application


def _contract_client_class():
    from flask.testing import FlaskClient

    class ContractClient(FlaskClient):
        """Flask's test client whose every answer to an /api/v1 request is checked against the
        OpenAPI document (tests/support/openapi_check.py): status, content type, body, headers.
        An undocumented answer fails the test at the request that received it."""

        def open(self, *args, **kwargs):
            from openapi_check import checker_for

            response = super().open(*args, **kwargs)
            request = response.request
            if request is None:  # pragma: no cover - werkzeug always sets it
                return response
            path, method = request.path, request.method
            problems = checker_for(self.application).problems(method, path, response)
            if problems:
                body = "(CSV)" if response.mimetype == "text/csv" else response.get_data(as_text=True)[:500]
                raise AssertionError(
                    f"{method} {path} answered {response.status_code} unlike the OpenAPI document:\n  - "
                    + "\n  - ".join(problems) + f"\nbody: {body}")
            return response

    return ContractClient


ContractClient = _contract_client_class()


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = make_app(database_url)
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    _SESSION_APP.append(application)
    yield application
    from backend.extensions import db

    with application.app_context():
        db.engine.dispose()


_SESSION_APP: list = []  # the session's app, once built (the job queue's home between tests)


def _queue_to(application) -> None:
    from backend.jobs import huey, init_jobs
    from backend.jobs.queue import _state

    if application is not None and (_state["app"] is not application or not huey.immediate):
        init_jobs(application)


@pytest.fixture(scope="module", autouse=True)
def _job_queue_per_module():
    """The job queue is process-wide, and every app built points it at its own settings' queue: a
    test or fixture that builds an app with production or development settings leaves a real queue
    that nobody consumes, and later tests' jobs (a report's PDF, its e-mail) would wait there for
    ever. Each module starts and ends on the session app's inline queue (before its own
    module-scoped fixtures run)."""
    _queue_to(_SESSION_APP[0] if _SESSION_APP else None)
    yield
    _queue_to(_SESSION_APP[0] if _SESSION_APP else None)


@pytest.fixture(autouse=True)
def _job_queue_put_back():
    """Within a module: after a test that built another app, the queue of the app that held it."""
    from backend.jobs.queue import _state

    before = _state["app"]
    yield
    if before is not None and _state["app"] is not before:
        _queue_to(before)


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Wipe every row after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    from backend.extensions import db, limiter

    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        try:
            limiter.reset()  # inside the app context: the limiter's storage is per app
        except Exception:  # noqa: BLE001 - storage may not support reset
            pass


@pytest.fixture
def statements(app):
    """``statements(containing)``: a context manager yielding the list of SQL statements the
    app's engine runs inside it whose text contains ``containing`` (clear it to start afresh)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from backend.extensions import db

    @contextmanager
    def recording(containing: str = ""):
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            if containing in statement:
                seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Tenant:
    """One agency with people of every role, two companies and keys of every scope."""

    agency_id: uuid.UUID
    name: str
    users: dict[str, object] = field(default_factory=dict)  # role -> (id, email, role)
    emails: dict[str, str] = field(default_factory=dict)  # role -> e-mail
    companies: list = field(default_factory=list)  # [(id, name) of A, of B]
    keys: dict[str, str] = field(default_factory=dict)  # scope -> plaintext key
    key_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def company_a(self):
        return self.companies[0]

    @property
    def company_b(self):
        return self.companies[1]


def build_tenant(app, name: str) -> Tenant:
    from types import SimpleNamespace

    from backend.services.accounts import create_agency, create_user
    from backend.services.api_keys import create_key
    from backend.services.companies import create_company
    from backend.tenancy import Principal, acting_as

    slug = name.lower().replace(" ", "-")
    with app.app_context():
        owner_email = f"owner@{slug}.test"
        agency, owner = create_agency(name, owner_email, PASSWORD)
        t = Tenant(agency_id=agency.id, name=name)
        with acting_as(Principal.system(agency.id, "test")):
            for label in ("A", "B"):
                c = create_company({"name": f"{name} Client {label}"})
                t.companies.append(SimpleNamespace(id=c.id, name=c.name))
            t.users["owner"] = SimpleNamespace(id=owner.id, email=owner_email, role="owner")
            t.emails["owner"] = owner_email
            for role in ("admin", "member", "viewer"):
                email = f"{role}@{slug}.test"
                user, _ = create_user({
                    "email": email, "password": PASSWORD, "role": role,
                    "company_ids": [t.company_a.id] if role == "viewer" else [],
                })
                t.users[role] = SimpleNamespace(id=user.id, email=email, role=role)
                t.emails[role] = email
            for scope in ("metrics:write", "read", "write", "admin"):
                key, plaintext = create_key({"name": f"{scope} key", "scopes": [scope]})
                t.keys[scope] = plaintext
                t.key_ids[scope] = key.id
            # A write key restricted to company A.
            key, plaintext = create_key({"name": "company A key", "scopes": ["write"], "company_id": t.company_a.id})
            t.keys["company_a:write"] = plaintext
            t.key_ids["company_a:write"] = key.id
    return t


@pytest.fixture
def tenant(app) -> Tenant:
    return build_tenant(app, "Acme Agency")


@pytest.fixture
def tenants(app) -> tuple[Tenant, Tenant]:
    return build_tenant(app, "Acme Agency"), build_tenant(app, "Globex Agency")


class ApiClient:
    """A test client that sends one API key on every request."""

    def __init__(self, client, key: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    def _call(self, method, url, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kw)

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, **kw):
        return self._call("post", url, **kw)

    def put(self, url, **kw):
        return self._call("put", url, **kw)

    def patch(self, url, **kw):
        return self._call("patch", url, **kw)

    def delete(self, url, **kw):
        return self._call("delete", url, **kw)


@pytest.fixture
def api(app):
    def _make(key: str) -> ApiClient:
        return ApiClient(app.test_client(), key)

    return _make


def login(client, email: str, password: str = PASSWORD):
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def outbox(app, tmp_path):
    """The app's mail outbox (the default mail backend) in a folder of this test's own."""
    saved = app.config["MAIL_OUTBOX_DIR"]
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    yield tmp_path / "outbox"
    app.config["MAIL_OUTBOX_DIR"] = saved


@pytest.fixture
def login_as(app):
    """``login_as(tenant, "owner")`` → a test client with that user's session."""

    def _login(tenant: Tenant, role: str):
        return login(app.test_client(), tenant.emails[role])

    return _login
