"""Sessions that can be revoked, logout by POST only, and one-time set-password links.

A copied session cookie is what an attacker holds after a stolen laptop or a shared computer:
each test copies the cookie into a second client before the event and checks it is dead after.
"""
from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, login, make_app


def copy_session(app, client):
    """A second client holding the same session cookie (what a thief would copy)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def assert_signed_out(client):
    assert client.get("/api/v1/me").status_code == 401
    resp = client.get("/dashboard/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.post("/dashboard/_dash-update-component", json={}).status_code == 401
    assert client.get("/manage/companies").status_code == 302


def assert_signed_in(client):
    assert client.get("/api/v1/me").status_code == 200


def test_logout_is_post_only_and_kills_copied_cookies(app, tenant):
    member = login(app.test_client(), tenant.emails["member"])
    thief = copy_session(app, member)
    assert_signed_in(thief)
    assert member.get("/logout").status_code == 405  # a link on another site cannot log you out
    assert_signed_in(member)
    resp = member.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert_signed_out(member)
    assert_signed_out(thief)


def test_logout_needs_the_csrf_token(app, database_url, tenant):
    csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": tenant.emails["member"], "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout").status_code == 400  # a forged cross-site post
    assert client.get("/api/v1/me").status_code == 200
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_password_change_keeps_this_session_and_ends_the_others(app, tenant):
    phone = login(app.test_client(), tenant.emails["member"])
    laptop = login(app.test_client(), tenant.emails["member"])
    thief = copy_session(app, laptop)
    resp = laptop.post("/account/password", data={"current_password": PASSWORD, "password": "a-better-secret-9",
                                                  "confirm": "a-better-secret-9"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    assert_signed_in(laptop)
    assert_signed_out(phone)
    assert_signed_out(thief)
    assert app.test_client().post("/login", data={"email": tenant.emails["member"],
                                                  "password": PASSWORD}).status_code == 401
    login(app.test_client(), tenant.emails["member"], "a-better-secret-9")


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"current_password": "not-my-password", "password": "a-better-secret-9", "confirm": "a-better-secret-9"},
     "current_password", "not your current password"),
    ({"current_password": PASSWORD, "password": "short", "confirm": "short"}, "password", "at least 10"),
    ({"current_password": PASSWORD, "password": "a-better-secret-9", "confirm": "a-better-secret-8"},
     "confirm", "differ"),
])
def test_a_refused_password_change_says_why_next_to_the_field_and_changes_nothing(app, tenant, form, field, message):
    member = login(app.test_client(), tenant.emails["member"])
    other = login(app.test_client(), tenant.emails["member"])
    resp = member.post("/account/password", data=form)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(rf'id="{field}".*?<p class="rb-field-error">[^<]*{message}', html, re.S), html[:3000]
    assert_signed_in(member)
    assert_signed_in(other)
    login(app.test_client(), tenant.emails["member"])  # the old password still works


def test_deactivating_and_reactivating_does_not_revive_old_cookies(app, tenant, login_as):
    member = login(app.test_client(), tenant.emails["member"])
    thief = copy_session(app, member)
    owner = login_as(tenant, "owner")
    uid = tenant.users["member"].id
    assert owner.patch(f"/api/v1/users/{uid}", json={"active": False}).status_code == 200
    assert_signed_out(member)
    assert owner.patch(f"/api/v1/users/{uid}", json={"active": True}).status_code == 200
    assert_signed_out(member)
    assert_signed_out(thief)
    assert_signed_in(login(app.test_client(), tenant.emails["member"]))


def test_a_role_change_ends_the_persons_sessions(app, tenant, login_as):
    member = login(app.test_client(), tenant.emails["member"])
    owner = login_as(tenant, "owner")
    assert owner.patch(f"/api/v1/users/{tenant.users['member'].id}", json={"role": "admin"}).status_code == 200
    assert_signed_out(member)
    # A name change is not a reason to sign someone out.
    admin = login(app.test_client(), tenant.emails["member"])
    assert owner.patch(f"/api/v1/users/{tenant.users['member'].id}", json={"name": "Mia"}).status_code == 200
    assert_signed_in(admin)


def test_removal_ends_the_persons_sessions(app, tenant, login_as):
    member = login(app.test_client(), tenant.emails["member"])
    assert login_as(tenant, "owner").delete(f"/api/v1/users/{tenant.users['member'].id}").status_code == 204
    assert_signed_out(member)


def test_sign_out_everywhere(app, tenant):
    here = login(app.test_client(), tenant.emails["viewer"])
    there = login(app.test_client(), tenant.emails["viewer"])
    page = here.get("/account")
    assert page.status_code == 200 and "Sign out everywhere" in page.get_data(as_text=True)
    resp = here.post("/account/sign-out-everywhere")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert_signed_out(here)
    assert_signed_out(there)


def test_the_account_page_is_for_people(app, tenant, api):
    assert api(tenant.keys["admin"]).get("/account").status_code == 403
    assert app.test_client().get("/account").status_code == 302  # to the login page


# --- set-password links ----------------------------------------------------------------------
def _link(owner, user_id) -> str:
    page = owner.post(f"/manage/people/{user_id}/link").get_data(as_text=True)
    return re.search(r"/set-password/([A-Za-z0-9_\-]+)", page).group(1)


def test_a_new_set_password_link_revokes_the_older_ones(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    uid = tenant.users["member"].id
    first, second = _link(owner, uid), _link(owner, uid)
    visitor = app.test_client()
    assert visitor.get(f"/set-password/{first}").status_code == 404
    assert visitor.get(f"/set-password/{second}").status_code == 200
    resp = visitor.post(f"/set-password/{first}", data={"password": "taken-over-123", "confirm": "taken-over-123"})
    assert resp.status_code == 404
    assert app.test_client().post("/login", data={"email": tenant.emails["member"],
                                                  "password": "taken-over-123"}).status_code == 401


def test_using_a_link_revokes_the_others_and_signs_out_old_sessions(app, tenant, login_as):
    import datetime as dt

    from backend.extensions import db
    from backend.models import PasswordToken, utcnow
    from backend.security import generate_token
    from backend.tenancy import cross_tenant

    member = login(app.test_client(), tenant.emails["member"])
    owner = login_as(tenant, "owner")
    uid = tenant.users["member"].id
    used = _link(owner, uid)
    # A second valid link for the same person (as an older release could leave behind).
    other, digest = generate_token()
    with app.app_context(), cross_tenant("test plants a second live link"):
        db.session.add(PasswordToken(agency_id=tenant.agency_id, user_id=uid, token_hash=digest,
                                     expires_at=utcnow() + dt.timedelta(days=7)))
        db.session.commit()
    resp = app.test_client().post(f"/set-password/{used}",
                                  data={"password": "chosen-by-me-1", "confirm": "chosen-by-me-1"})
    assert resp.status_code == 302
    assert app.test_client().get(f"/set-password/{other}").status_code == 404
    assert app.test_client().get(f"/set-password/{used}").status_code == 404
    assert_signed_out(member)
    with app.app_context(), cross_tenant("test reads the links"):
        live = [t for t in db.session.query(PasswordToken).filter(PasswordToken.user_id == uid) if t.used_at is None]
        assert live == []


def test_set_password_pages_send_no_referrer(app, tenant, login_as):
    token = _link(login_as(tenant, "owner"), tenant.users["member"].id)
    resp = app.test_client().get(f"/set-password/{token}")
    assert resp.headers["Referrer-Policy"] == "no-referrer"
