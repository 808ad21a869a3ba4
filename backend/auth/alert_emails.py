"""A person's alert e-mail choices (``/account/alert-emails``, linked from the account page) and
the signed unsubscribe links of the alert e-mails (``/unsubscribe/<token>``, no login).

The unsubscribe page acts as its token alone, like the share page: the visitor's session is not
read (backend/auth/principal.py), the token names the agency, the person and the kinds, and the
change runs as that agency's system principal (another agency's person is never found). Opening
the link shows a button; the button (and a mail client's RFC 8058 one-click POST, announced by the
message's ``List-Unsubscribe-Post`` header) turns the kinds off. A GET changes nothing: mail
scanners open every link of a message. A tampered or unknown token gets a friendly 404 page.
The POST is exempt from CSRF: there is no session, and only a genuine token changes anything.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..extensions import csrf, db
from ..services import alert_email as svc
from ..services.errors import NotFound, ServiceError
from ..tenancy import Principal, acting_as
from .account import _person
from .views import bp

ROBOTS = "noindex, nofollow"


def _render_choices(form=None, errors=None, status=200):
    p = _person()
    choices = svc.my_choices()
    return render_template("account_alert_emails.html", choices=choices, form=form or {}, errors=errors or {},
                           kinds=svc.KIND_LABELS, modes=svc.MODE_LABELS, staff=p.is_staff,
                           default_hour=svc.DEFAULT_HOUR), status


@bp.get("/account/alert-emails")
def alert_emails():
    return _render_choices()


@bp.post("/account/alert-emails")
def save_alert_emails():
    """Save the person's choice per kind, digest hour and time zone (422 naming a wrong field)."""
    _person()
    data = {"modes": {k: request.form[f"modes.{k}"] for k in svc.KINDS if f"modes.{k}" in request.form},
            "digest_hour": request.form.get("digest_hour", ""), "timezone": request.form.get("timezone", "")}
    try:
        svc.set_my_choices(data)
    except ServiceError as err:
        db.session.rollback()
        errors = {e.get("field") or "form": e["message"] for e in err.errors or [{"field": "form",
                                                                                  "message": err.detail}]}
        return _render_choices(request.form, errors, err.status if err.status in (403, 422) else 422)
    flash("Your alert e-mail choices are saved.")
    return redirect(url_for("auth.alert_emails"))


def _missing():
    return render_template("alert_unsubscribe.html", state="missing", robots=ROBOTS), 404


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """Show, then (POST) do, the link's unsubscribe."""
    found = svc.read_unsubscribe_token(token)
    if found is None:
        return _missing()
    agency_id, user_id, kinds = found
    labels = [svc.KIND_LABELS[k].lower() for k in kinds]
    try:
        with acting_as(Principal.system(agency_id, "unsubscribe-link")):
            email = svc.person_email(user_id)
            if request.method == "POST":
                svc.turn_off(user_id, kinds)
    except NotFound:
        db.session.rollback()
        return _missing()
    state = "done" if request.method == "POST" else "ask"
    return render_template("alert_unsubscribe.html", state=state, email=email, labels=labels, robots=ROBOTS)
