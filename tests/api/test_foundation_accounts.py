"""Users and API keys through the API; /api/v1/me."""
from __future__ import annotations

from conftest import PASSWORD, login


def _users(client):
    return {u["email"]: {k: v for k, v in u.items() if k != "last_login_at"}
            for u in client.get("/api/v1/users?page_size=1000").json}


def _choose_password(app, token: str, password: str = "a-long-password") -> None:
    resp = app.test_client().post(f"/set-password/{token}", data={"password": password, "confirm": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def test_owner_creates_staff_and_viewers_who_can_log_in(tenant, login_as, app):
    owner = login_as(tenant, "owner")
    for role in ("owner", "admin", "member"):
        resp = owner.post("/api/v1/users", json={"email": f"new-{role}@acme.test", "role": role,
                                                "name": role.title()})
        assert resp.status_code == 201, resp.json
        assert resp.json["role"] == role and resp.json["id"] and resp.json["company_ids"] == []
        assert "password" not in resp.json and "password_hash" not in resp.json
    resp = owner.post("/api/v1/users", json={"email": "client@example.test", "role": "viewer",
                                            "company_ids": [str(tenant.company_b.id)]})
    assert resp.status_code == 201, resp.json
    assert resp.json["company_ids"] == [str(tenant.company_b.id)]
    # New people get a one-time set-password link and choose their password themselves.
    assert resp.json["set_password_url"].endswith("/set-password/" + resp.json["set_password_token"])
    assert owner.get(f"/api/v1/users/{resp.json['id']}").json.get("set_password_token") is None
    _choose_password(app, resp.json["set_password_token"])
    viewer = login(app.test_client(), "client@example.test", "a-long-password")
    assert [c["id"] for c in viewer.get("/api/v1/companies").json] == [str(tenant.company_b.id)]


def test_no_api_field_sets_a_password(tenant, login_as, api):
    owner = login_as(tenant, "owner")
    before = _users(owner)
    resp = owner.post("/api/v1/users", json={"email": "pw@acme.test", "role": "member", "password": PASSWORD})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "password"
    for client in (owner, api(tenant.keys["admin"])):
        resp = client.patch(f"/api/v1/users/{tenant.users['member'].id}", json={"password": "taken-over-123"})
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "password"
    assert _users(owner) == before


def test_viewer_needs_a_company_and_staff_has_none(tenant, api):
    admin = api(tenant.keys["admin"])
    resp = admin.post("/api/v1/users", json={"email": "v@acme.test", "role": "viewer"})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "company_ids"
    resp = admin.post("/api/v1/users", json={"email": "m@acme.test", "role": "member",
                                            "company_ids": [str(tenant.company_a.id)]})
    assert resp.status_code == 422


def test_existing_email_is_409_whatever_the_agency(tenants, api):
    acme, globex = tenants
    for email in (acme.emails["member"], globex.emails["member"], acme.emails["owner"].upper()):
        resp = api(acme.keys["admin"]).post("/api/v1/users", json={"email": email, "role": "member"})
        assert resp.status_code == 409, (email, resp.json)
        assert resp.json["errors"][0]["field"] == "email"


def test_role_above_ones_own_is_403_and_nothing_is_written(tenant, login_as, api):
    admin = login_as(tenant, "admin")
    before = _users(admin)
    resp = admin.post("/api/v1/users", json={"email": "boss@acme.test", "role": "owner"})
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    resp = admin.patch(f"/api/v1/users/{tenant.users['member'].id}", json={"role": "owner"})
    assert resp.status_code == 403
    resp = admin.patch(f"/api/v1/users/{tenant.users['owner'].id}", json={"role": "member"})
    assert resp.status_code == 403
    resp = admin.delete(f"/api/v1/users/{tenant.users['owner'].id}")
    assert resp.status_code == 403
    # An admin API key is at most an admin.
    resp = api(tenant.keys["admin"]).post("/api/v1/users", json={"email": "boss@acme.test", "role": "owner"})
    assert resp.status_code == 403
    assert _users(admin) == before
    # Members and read/write keys cannot manage people at all.
    for client in (login_as(tenant, "member"), api(tenant.keys["write"])):
        resp = client.post("/api/v1/users", json={"email": "x@acme.test", "role": "member"})
        assert resp.status_code == 403
    assert _users(admin) == before


def test_identity_and_hash_fields_in_bodies_are_422(tenant, login_as, api):
    owner = login_as(tenant, "owner")
    before = _users(owner)
    uid = tenant.users["member"].id
    for field, value in (("agency_id", "00000000-0000-0000-0000-000000000001"),
                         ("id", "00000000-0000-0000-0000-000000000001"),
                         ("password_hash", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA"),
                         ("email", "moved@acme.test"), ("created_at", "2020-01-01T00:00:00")):
        resp = owner.patch(f"/api/v1/users/{uid}", json={"name": "Changed", field: value})
        assert resp.status_code == 422, (field, resp.json)
        assert resp.json["errors"][0]["field"] == field
        if field == "email":
            continue  # settable on creation only
        resp = owner.post("/api/v1/users", json={"email": "n@acme.test", "role": "member", field: value})
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == field
    admin_key = api(tenant.keys["admin"])
    keys_before = admin_key.get("/api/v1/api-keys").json
    for field in ("key_hash", "prefix", "key", "agency_id", "id", "created_by", "revoked_at"):
        resp = admin_key.post("/api/v1/api-keys", json={"name": "x", "scopes": ["read"], field: "x"})
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == field
    assert _users(owner) == before
    assert admin_key.get("/api/v1/api-keys").json == keys_before


def test_api_key_lifecycle(tenant, login_as, api, client):
    owner = login_as(tenant, "owner")
    resp = owner.post("/api/v1/api-keys", json={"name": "Reporting tool", "scopes": ["read"]})
    assert resp.status_code == 201, resp.json
    created = resp.json
    key = created["key"]
    assert key.startswith("rb_") and created["prefix"] == key[:len(created["prefix"])]
    assert created["created_by"] == str(tenant.users["owner"].id) and created["last_used_at"] is None
    # Shown only once: neither the item nor the list carries the key.
    item = owner.get(f"/api/v1/api-keys/{created['id']}")
    listing = owner.get("/api/v1/api-keys")
    for resp in (item, listing):
        assert resp.status_code == 200
        assert key not in resp.get_data(as_text=True)
    assert "key" not in item.json
    # It works in the header, updates last_used_at, and never in a query string.
    reader = api(key)
    assert reader.get("/api/v1/companies").status_code == 200
    assert owner.get(f"/api/v1/api-keys/{created['id']}").json["last_used_at"] is not None
    for param in ("api_key", "key", "access_token"):
        resp = client.get(f"/api/v1/companies?{param}={key}")
        assert resp.status_code == 401, param
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    # Its scope is enforced: a read key cannot write.
    assert reader.post("/api/v1/companies", json={"name": "Nope"}).status_code == 403
    # Revoke: 401 from now on, revoked_at set.
    resp = owner.delete(f"/api/v1/api-keys/{created['id']}")
    assert resp.status_code == 200 and resp.json["revoked_at"]
    resp = reader.get("/api/v1/companies")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert reader.get("/api/v1/me").status_code == 401


def test_bad_credentials_are_401(client):
    for header in ("Bearer rb_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "rb_bare"):
        resp = client.get("/api/v1/companies", headers={"Authorization": header})
        assert resp.status_code == 401, header
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="reachboard"'
        assert resp.mimetype == "application/problem+json"


def test_company_restricted_key_sees_only_its_company(tenant, api):
    key = api(tenant.keys["company_a:write"])
    assert [c["id"] for c in key.get("/api/v1/companies").json] == [str(tenant.company_a.id)]
    assert key.get(f"/api/v1/companies/{tenant.company_b.id}").status_code == 404
    me = key.get("/api/v1/me").json
    assert [c["id"] for c in me["companies"]] == [str(tenant.company_a.id)]
    # An admin key restricted to one company creates no keys at all (they are agency-level).
    admin = api(tenant.keys["admin"])
    resp = admin.post("/api/v1/api-keys", json={"name": "A admin", "scopes": ["admin"],
                                               "company_id": str(tenant.company_a.id)})
    restricted = api(resp.json["key"])
    for body in ({"name": "escape", "scopes": ["admin"]},
                 {"name": "escape", "scopes": ["admin"], "company_id": str(tenant.company_a.id)},
                 {"name": "escape", "scopes": ["admin"], "company_id": str(tenant.company_b.id)}):
        assert restricted.post("/api/v1/api-keys", json=body).status_code == 403


def test_me_for_users_and_keys(tenant, login_as, api):
    me = login_as(tenant, "viewer").get("/api/v1/me").json
    assert me["kind"] == "user" and me["role"] == "viewer" and me["email"] == tenant.emails["viewer"]
    assert me["agency"] == {"id": str(tenant.agency_id), "name": tenant.name}
    assert [c["id"] for c in me["companies"]] == [str(tenant.company_a.id)]
    me = login_as(tenant, "member").get("/api/v1/me").json
    assert me["role"] == "member" and len(me["companies"]) == 2
    me = api(tenant.keys["metrics:write"]).get("/api/v1/me").json
    assert me["kind"] == "api_key" and me["scopes"] == ["metrics:write"] and me["email"] is None
    assert me["api_key_id"] == str(tenant.key_ids["metrics:write"])
    assert len(me["companies"]) == 2


def test_user_update_delete_and_last_owner(tenant, login_as):
    owner = login_as(tenant, "owner")
    uid = tenant.users["member"].id
    resp = owner.patch(f"/api/v1/users/{uid}", json={"name": "Mia", "role": "admin"})
    assert resp.status_code == 200 and resp.json["role"] == "admin" and resp.json["name"] == "Mia"
    resp = owner.patch(f"/api/v1/users/{uid}", json={"name": "Old", "version": 1})
    assert resp.status_code == 409
    resp = owner.delete(f"/api/v1/users/{tenant.users['owner'].id}")
    assert resp.status_code == 422  # not yourself
    resp = owner.delete(f"/api/v1/users/{uid}")
    assert resp.status_code == 204
    assert owner.get(f"/api/v1/users/{uid}").status_code == 404


def test_agency_deleted_meanwhile_is_not_found(app):
    """A principal whose agency row is gone (deleted by another request meanwhile) reads and
    renames nothing: 404, like any other row deleted meanwhile."""
    import uuid

    import pytest

    from backend.services.agency import get_agency, update_agency
    from backend.services.errors import NotFound
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(uuid.uuid4(), "test")):
        with pytest.raises(NotFound):
            get_agency()
        with pytest.raises(NotFound):
            update_agency({"name": "Renamed"})
