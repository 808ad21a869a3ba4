"""A person's own account: change the password with the current one, sign out everywhere."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..i18n import _, lazy_gettext, translate
from ..services.errors import ServiceError
from ..tenancy import Forbidden, current_principal
from .views import bp, home_for, safe_return

# The roles in the reader's language (backend/tenancy.py names them in code).
ROLE_NAMES = {"owner": lazy_gettext("owner"), "admin": lazy_gettext("admin"), "member": lazy_gettext("member"),
              "viewer": lazy_gettext("client viewer")}


def _person():
    p = current_principal()
    if p.kind != "user" or not current_user.is_authenticated:
        raise Forbidden("The account page is for people who log in; API keys have none.")
    return p


def _render(errors=None, status=200):
    from ..services.accounts import MIN_PASSWORD_LENGTH

    p = _person()
    return render_template("account.html", errors=errors or {}, role_name=ROLE_NAMES.get(p.role, p.role),
                           min_length=MIN_PASSWORD_LENGTH,
                           home="/manage/companies" if p.is_staff else "/dashboard/"), status


@bp.get("/account")
def account():
    return _render()


@bp.post("/account/password")
def change_password():
    """Change the password with the current one. Other sessions end; this one is renewed."""
    from ..services.accounts import change_own_password

    _person()
    errors: dict[str, str] = {}
    password = request.form.get("password") or ""
    if password != (request.form.get("confirm") or ""):
        errors["confirm"] = _("The two new passwords differ.")
        return _render(errors, 422)
    try:
        user = change_own_password(request.form.get("current_password") or "", password)
    except ServiceError as err:
        for e in err.errors or [{"field": "form", "message": err.detail}]:
            errors[e.get("field") or "form"] = translate(e["message"])
        return _render(errors, err.status if err.status in (403, 422) else 422)
    login_user(user)  # this session carries the new epoch; every other one is signed out
    flash(_("Your password is changed. Every other session of yours is signed out."))
    return redirect(url_for("auth.account"))


@bp.post("/account/language")
def choose_language():
    """Save the language chosen in the navigation bar's menu and go back to the page it was
    chosen on (``next``, else the Referer when it is this site's, else home)."""
    from ..services.accounts import set_own_locale

    _person()
    set_own_locale(request.form.get("locale"))
    return redirect(safe_return(request.form.get("next")) or home_for(current_user))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    from ..services.accounts import sign_out_everywhere as end_sessions

    _person()
    end_sessions(current_user.id)
    logout_user()
    flash(_("You are signed out on every device."))
    return redirect(url_for("auth.login"))
