"""People: agency staff (with a role) and client viewers (with their companies)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from ..api.users.schemas import UserCreateSchema, UserUpdateSchema
from ..services import accounts as svc
from ..services import companies as companies_svc
from ..services import privileges
from ..services.errors import ServiceError
from ..tenancy import Forbidden, current_principal
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, from_service_error, int_or_none, load, text

ADMIN_ONLY = "Only agency owners and admins manage people."
ROLE_HELP = {
    "owner": "Everything, including other owners.",
    "admin": "Companies, people, API keys and the activity log.",
    "member": "Strategies, goals, channels, campaigns and data of every company.",
    "viewer": "A person at the client: reads the dashboard of the chosen companies, changes nothing.",
}


def _companies():
    return companies_svc.all_companies(include_archived=False)


ROLE_LABELS = {"owner": "owner", "admin": "admin", "member": "member", "viewer": "client viewer"}


def _givable_roles() -> list[str]:
    """The roles the current person may give (below their own; an owner gives any)."""
    p = current_principal()
    out = []
    for role in ROLE_HELP:
        try:
            privileges.require_may_give_role(p, role)
        except Forbidden:
            continue
        out.append(role)
    return out


def _render_people(errors=None, form=None, status=200, link=None, created=None):
    users = svc.all_users()
    companies = _companies()
    names = {c.id: c.name for c in companies_svc.all_companies()}
    form = form or {"role": "viewer" if request.args.get("company_id") else "member",
                    "company_ids": [request.args.get("company_id")] if request.args.get("company_id") else []}
    return render_template("admin/people.html", users=users, companies=companies, company_names=names,
                           errors=errors or FormErrors(), form=form, link=link, created=created,
                           roles=ROLE_HELP, givable_roles=_givable_roles(), section="people"), status


@bp.get("/people")
@needs("admin", ADMIN_ONLY)
def people():
    """Everyone with access to the agency, and a form to add someone."""
    return _render_people()


def _person_form(form) -> dict:
    data = {"email": text(form, "email"), "name": text(form, "name"), "role": text(form, "role")}
    if data["role"] == "viewer":
        data["company_ids"] = form.getlist("company_ids")
    return data


@bp.post("/people")
@needs("admin", ADMIN_ONLY)
def add_person():
    """Add staff or a client viewer; without a password, show a one-time set-password link."""
    form = _person_form(request.form)
    try:
        data = load(UserCreateSchema(), form)
        user, token = svc.create_user(data)
    except FormInvalid as err:
        return _render_people(err.errors, form, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_people(bad.errors, form, bad.status)
    link = url_for("auth.set_password", token=token, _external=True) if token else None
    return _render_people(link=link, created=user, status=201)


def _render_person(errors=None, form=None, status=200, link=None):
    user = g.path_objects["user_id"]
    p = current_principal()
    myself = user.id == p.user_id
    can_change = myself or privileges.may_change_person(p, user.role)
    givable = _givable_roles()
    can_change_role = can_change and (not myself or privileges.is_owner(p))
    options = [(r, ROLE_LABELS[r]) for r in ROLE_HELP if r in givable or r == user.role]
    return render_template("admin/person.html", person=user, companies=_companies(),
                           person_company_ids={str(a.company_id) for a in user.client_access},
                           errors=errors or FormErrors(), form=form or {}, link=link, roles=ROLE_HELP,
                           role_options=options, can_change=can_change, can_change_role=can_change_role,
                           myself=myself, section="people"), status


@bp.get("/people/<uuid:user_id>")
@needs("admin", ADMIN_ONLY)
def person(user_id):
    """One person: role, companies, access."""
    return _render_person()


@bp.post("/people/<uuid:user_id>")
@needs("admin", ADMIN_ONLY)
def update_person(user_id):
    """Change a person's name, role or companies, refusing a stale form."""
    user = g.path_objects["user_id"]
    form = {"name": text(request.form, "name"), "role": text(request.form, "role"),
            "active": request.form.get("active") == "on"}
    if form["role"] == "viewer":
        form["company_ids"] = request.form.getlist("company_ids")
    if not form["role"]:
        form.pop("role")  # the role box is disabled where the role may not change: keep it
    version = int_or_none(request.form, "version")
    try:
        data = load(UserUpdateSchema(), form)
        if data.get("role") == user.role:
            data.pop("role")  # unchanged role: don't trip the role-rank checks
        svc.update_user(user_id, data, expected_version=version)
    except FormInvalid as err:
        return _render_person(err.errors, form, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_person(bad.errors, {} if bad.errors.stale else form, bad.status)
    flash(f"Saved {user.email}.")
    return redirect(url_for("admin.person", user_id=user_id))


@bp.post("/people/<uuid:user_id>/link")
@needs("admin", ADMIN_ONLY)
def password_link(user_id):
    """Issue a new one-time set-password link (valid 7 days) to pass on."""
    try:
        token = svc.issue_password_link(user_id)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_person(bad.errors, None, bad.status)
    return _render_person(link=url_for("auth.set_password", token=token, _external=True))


@bp.post("/people/<uuid:user_id>/remove")
@needs("admin", ADMIN_ONLY)
def remove_person(user_id):
    """Remove a person's access (their account is deleted)."""
    email = g.path_objects["user_id"].email
    try:
        svc.delete_user(user_id)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_person(bad.errors, None, bad.status)
    flash(f"Removed {email}.")
    return redirect(url_for("admin.people"))
