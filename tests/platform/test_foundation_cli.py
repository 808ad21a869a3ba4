"""The flask CLI commands, through the CLI runner."""
from __future__ import annotations

import uuid

from conftest import PASSWORD, login
from sqlalchemy import func, select


def _last_line(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].strip()


def test_create_agency_user_and_key(runner, app, client):
    result = runner.invoke(args=["create-agency", "Initech", "--owner-email", "boss@initech.test",
                                 "--owner-password", PASSWORD])
    agency_id = uuid.UUID(_last_line(result))
    # The owner can log in and sees the new agency.
    owner = login(app.test_client(), "boss@initech.test")
    me = owner.get("/api/v1/me").json
    assert me["agency"]["id"] == str(agency_id) and me["role"] == "owner"
    company = owner.post("/api/v1/companies", json={"name": "Initrode"}).json

    for role in ("owner", "admin", "member"):
        result = runner.invoke(args=["create-user", "--agency", str(agency_id), "--email", f"{role}2@initech.test",
                                     "--password", PASSWORD, "--role", role])
        uuid.UUID(_last_line(result))
        assert login(app.test_client(), f"{role}2@initech.test").get("/api/v1/me").json["role"] == role
    result = runner.invoke(args=["create-user", "--agency", str(agency_id), "--email", "client@initrode.test",
                                 "--password", PASSWORD, "--role", "viewer", "--company", company["id"]])
    _last_line(result)
    viewer = login(app.test_client(), "client@initrode.test").get("/api/v1/me").json
    assert viewer["role"] == "viewer" and [c["id"] for c in viewer["companies"]] == [company["id"]]

    result = runner.invoke(args=["create-api-key", "--agency", str(agency_id), "--scope", "read",
                                 "--scope", "write", "--name", "Zapier"])
    key = _last_line(result)
    assert key.startswith("rb_") and " " not in key
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200 and sorted(resp.json["scopes"]) == ["read", "write"]
    assert resp.json["agency"]["id"] == str(agency_id)
    result = runner.invoke(args=["create-api-key", "--agency", str(agency_id), "--scope", "metrics:write",
                                 "--company", company["id"]])
    key = _last_line(result)
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert [c["id"] for c in resp.json["companies"]] == [company["id"]]


def test_cli_errors_are_clear(runner, tenant):
    result = runner.invoke(args=["create-agency", "Dup", "--owner-email", tenant.emails["owner"],
                                 "--owner-password", PASSWORD])
    assert result.exit_code != 0 and "already" in result.output
    result = runner.invoke(args=["create-user", "--agency", str(uuid.uuid4()), "--email", "x@y.test",
                                 "--password", PASSWORD, "--role", "member"])
    assert result.exit_code != 0 and "no agency" in result.output
    result = runner.invoke(args=["create-user", "--agency", "not-a-uuid", "--email", "x@y.test",
                                 "--password", PASSWORD, "--role", "member"])
    assert result.exit_code != 0
    result = runner.invoke(args=["create-user", "--agency", str(tenant.agency_id), "--email", "v@y.test",
                                 "--password", PASSWORD, "--role", "viewer"])
    assert result.exit_code != 0 and "company" in result.output
    result = runner.invoke(args=["create-api-key", "--agency", str(tenant.agency_id), "--scope", "root"])
    assert result.exit_code != 0
    # A company of another agency is not found from this one.
    result = runner.invoke(args=["create-user", "--agency", str(tenant.agency_id), "--email", "v@y.test",
                                 "--password", PASSWORD, "--role", "member", "--name", "Short"])
    assert result.exit_code == 0


def _counts(app):
    from backend.extensions import db
    from backend.models import Agency, Company, User
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test counts"):
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Agency, Company, User))


def test_seed_demo_is_idempotent(runner, app):
    cmd = app.cli.get_command(None, "seed-demo")
    args = ["seed-demo"] + (["--no-metrics"] if any(p.name == "no_metrics" for p in cmd.params) else [])
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    counts = _counts(app)
    assert counts[0] == 1 and counts[1] >= 3 and counts[2] >= 4
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert _counts(app) == counts
    for line in ("owner@demo.reachboard.test", "reachboard-demo"):
        assert line in second.output
    login(app.test_client(), "owner@demo.reachboard.test", "reachboard-demo")
