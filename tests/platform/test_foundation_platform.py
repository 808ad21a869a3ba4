"""Login/logout, cookies, configuration, health, OpenAPI and docs, secrets never stored or logged."""
from __future__ import annotations

import json
import logging
import re
import runpy
import uuid

import pytest
from conftest import PASSWORD, ROOT, login, make_app


# --- login, logout, front door ---------------------------------------------------------------
def test_front_door_login_and_logout(tenant, client):
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    resp = client.post("/login", data={"email": tenant.emails["owner"], "password": "wrong-password"})
    assert resp.status_code == 401 and "wrong" in resp.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401
    resp = client.post("/login", data={"email": tenant.emails["owner"].upper(), "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard/"
    assert client.get("/").headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/me").json["email"] == tenant.emails["owner"]
    assert client.get("/logout").status_code == 405  # another site cannot log you out with a link
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/dashboard/").headers["Location"].startswith("/login?next=")


def test_login_follows_next_only_to_local_paths(tenant, app):
    c = app.test_client()
    resp = c.get("/dashboard/")
    assert resp.headers["Location"] == "/login?next=/dashboard/"
    resp = c.post("/login?next=/api/v1/me", data={"email": tenant.emails["member"], "password": PASSWORD})
    assert resp.headers["Location"] == "/api/v1/me"
    for evil in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        c = app.test_client()
        resp = c.post("/login", query_string={"next": evil},
                      data={"email": tenant.emails["member"], "password": PASSWORD})
        assert resp.headers["Location"] == "/dashboard/", evil


def test_inactive_user_cannot_log_in(tenant, login_as, app):
    owner = login_as(tenant, "owner")
    assert owner.patch(f"/api/v1/users/{tenant.users['member'].id}", json={"active": False}).status_code == 200
    resp = app.test_client().post("/login", data={"email": tenant.emails["member"], "password": PASSWORD})
    assert resp.status_code == 401


def _set_cookie(resp, name):
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_session_cookie_flags(tenant, client, database_url):
    resp = client.post("/login", data={"email": tenant.emails["owner"], "password": PASSWORD})
    cookie = _set_cookie(resp, "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_cookies_are_secure(tenant, database_url, monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", database_url)
    prod = make_app(database_url, **{k: v for k, v in ProductionConfig().as_dict().items()
                                     if k.startswith(("SESSION_", "REMEMBER_", "SECRET_KEY"))},
                    WTF_CSRF_ENABLED=False)
    resp = prod.test_client().post("/login", data={"email": tenant.emails["owner"], "password": PASSWORD})
    cookie = _set_cookie(resp, "session")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.no_db
def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from backend import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.no_db
def test_development_keeps_a_generated_secret_key_under_instance(tmp_path, monkeypatch):
    from config import DevelopmentConfig

    monkeypatch.setenv("REACHBOARD_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first, second = DevelopmentConfig(), DevelopmentConfig()  # e.g. two restarts
    assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) >= 40
    path = tmp_path / "inst" / "secret_key"
    assert path.read_text().strip() == first.SECRET_KEY
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'inst' / 'reachboard.db'}"
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert DevelopmentConfig().SECRET_KEY == "from-the-environment"


@pytest.mark.no_db
def test_postgres_urls_use_psycopg3():
    from config import normalise_database_url

    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_passwords_are_argon2id(tenant, app):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import User
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test"):
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


@pytest.mark.no_db
def test_production_argon2_parameters_meet_owasp():
    from config import ProductionConfig

    assert ProductionConfig.ARGON2_MEMORY_COST >= 19 * 1024 and ProductionConfig.ARGON2_TIME_COST >= 2


# --- health ----------------------------------------------------------------------------------
def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json["status"] == "ok"


@pytest.mark.no_db
def test_healthz_503_when_the_database_is_unreachable():
    dead = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    resp = dead.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.json["status"] == "unavailable"
    assert "Traceback" not in resp.get_data(as_text=True)


# --- OpenAPI and docs ------------------------------------------------------------------------
def test_openapi_spec(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/companies" in spec["paths"] and "/api/v1/companies/{company_id}" in spec["paths"]
    post = spec["paths"]["/api/v1/companies"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["additionalProperties"] is False
    # Every request body of every route forbids unknown fields (written out inline: see
    # tests/api/test_openapi_contract.py for the nested objects).
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue  # e.g. shared "parameters"
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                assert body["schema"].get("additionalProperties") is False, (method, path)
            assert op.get("summary"), f"{method} {path} has no summary (one-line docstring)"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_render_with_local_assets_only(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "docs load something from outside the app"
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert len(assets) >= 3
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.data) > 300, url  # the smallest is the page's own start-up script
        asset.close()


# --- secrets: never stored, never logged -----------------------------------------------------
def _dump_database(app) -> str:
    from backend.extensions import db

    chunks = []
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_no_plaintext_key_or_password_in_database_or_logs(tenants, login_as, api, client, app, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every SQL statement and its parameters
    acme, globex = tenants
    owner = login_as(acme, "owner")
    new_password = "a-brand-new-secret-" + uuid.uuid4().hex[:8]
    resp = owner.post("/api/v1/users", json={"email": "fresh@acme.test", "role": "member"})
    assert resp.status_code == 201
    first_token = resp.json["set_password_token"]
    resp = app.test_client().post(f"/set-password/{first_token}",
                                  data={"password": new_password, "confirm": new_password})
    assert resp.status_code == 302
    login(app.test_client(), "fresh@acme.test", new_password)
    resp = owner.post("/api/v1/api-keys", json={"name": "logged?", "scopes": ["admin"]})
    created_key = resp.json["key"]
    link = owner.post("/api/v1/users", json={"email": "link@acme.test", "role": "member"}).json
    token = link["set_password_token"]
    # A share link's token (with a PIN, opened, a wrong PIN tried) and an e-mail's derived one.
    share = owner.post(f"/api/v1/companies/{acme.company_a.id}/share-links", json={
        "kind": "board", "board_from": "2026-01-01", "board_to": "2026-01-31", "pin": "8642"}).json
    share_token = share["token"]
    assert client.get(f"/s/{share_token}").status_code == 200
    assert client.post(f"/s/{share_token}", data={"pin": "0000"}).status_code == 403
    assert client.post(f"/s/{share_token}", data={"pin": "8642"}).status_code == 200
    replayed = owner.post(f"/api/v1/companies/{acme.company_a.id}/share-links", headers={"Idempotency-Key": "k1"},
                          json={"kind": "board", "board_from": "2026-01-01", "board_to": "2026-01-31"}).json
    # A webhook's signing secret (made, made again by an Idempotency-Key replay, rotated, used to sign).
    hook_body = {"url": "http://127.0.0.1:9/hook", "events": ["report.sent"]}
    hook = owner.post("/api/v1/webhooks", headers={"Idempotency-Key": "w1"}, json=hook_body).json
    again = owner.post("/api/v1/webhooks", headers={"Idempotency-Key": "w1"}, json=hook_body).json
    assert again["secret"] == hook["secret"]
    rotated_hook = owner.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", json={}).json
    from backend.services import webhooks
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        webhooks.publish("report.sent", {"report_id": "r"}, company_id=None)  # signed with both (a refused connection)
    hook_secrets = [hook["secret"], rotated_hook["secret"]]
    hook_secrets += [s.removeprefix("whsec_") for s in hook_secrets]
    secrets = [PASSWORD, new_password, created_key, token, first_token, share_token, replayed["token"], "8642"] + \
        list(acme.keys.values()) + list(globex.keys.values()) + hook_secrets
    # Use every key, in the header and (refused) in the query string, plus bad logins.
    for key in secrets[2:4] + secrets[8:-len(hook_secrets)]:
        api(key).get("/api/v1/me")
        client.get(f"/api/v1/companies?api_key={key}")
    client.post("/login", data={"email": "fresh@acme.test", "password": new_password + "x"})
    client.get(f"/set-password/{token}")
    dump = _dump_database(app)
    assert len(dump) > 1000
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.args}" for r in caplog.records)
    assert "INSERT INTO api_key" in logs and "failed login" in logs, "the captured log is not the real one"
    assert "INSERT INTO webhook_endpoint" in logs and "UPDATE webhook_endpoint" in logs  # made and rotated
    for secret in secrets:
        if secret == "8642":  # the PIN: four digits also turn up inside random UUIDs and hex digests
            alone = re.compile(r"(?<![0-9A-Za-z])8642(?![0-9A-Za-z])")
            assert not alone.search(dump), "a plaintext PIN is stored in the database"
            assert not alone.search(logs), "a plaintext PIN appears in the log"
            continue
        assert secret not in dump, "a plaintext secret is stored in the database"
        assert secret not in logs, "a plaintext secret appears in the log"
    # Keys are stored as a SHA-256 hex digest plus a display prefix; passwords as argon2id.
    from backend.security import hash_token

    assert hash_token(created_key) in dump
    assert hash_token(share_token) in dump and hash_token(replayed["token"]) in dump


def test_gunicorn_access_log_has_no_headers_query_strings_or_tokens():
    from gunicorn.config import Config

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    fmt = settings["access_log_format"]
    assert "}i" not in fmt and "%(r)s" not in fmt and "%(q)s" not in fmt and "%(f)s" not in fmt
    cfg = Config()
    cfg.set("access_log_format", fmt)
    logger = settings["RedactingLogger"](cfg)

    class Resp:
        status = "200 OK"
        sent = 12
        headers = [("Content-Type", "application/json")]

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/set-password/tok123?api_key=rb_secret",
               "PATH_INFO": "/set-password/tok123", "QUERY_STRING": "api_key=rb_secret",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_AUTHORIZATION": "Bearer rb_secret", "HTTP_REFERER": "/set-password/tok123"}
    import datetime as dt

    atoms = logger.atoms(Resp(), [("Authorization", "Bearer rb_secret"), ("Cookie", "session=abc")],
                         environ, dt.timedelta(milliseconds=5))
    line = fmt % atoms
    everything = json.dumps(atoms, default=str)
    assert "rb_secret" not in everything and "tok123" not in everything and "session=abc" not in everything
    assert line.startswith('127.0.0.1 "GET /set-password/[redacted]" 200 12')
    share = dict(environ, RAW_URI="/s/sharetok456", PATH_INFO="/s/sharetok456", QUERY_STRING="",
                 HTTP_REFERER="/s/sharetok456")
    atoms = logger.atoms(Resp(), [], share, dt.timedelta(milliseconds=5))
    assert "sharetok456" not in json.dumps(atoms, default=str)
    assert (fmt % atoms).startswith('127.0.0.1 "GET /s/[redacted]" 200 12')
    assert settings["logger_class"] is settings["RedactingLogger"]
