"""Server-rendered login, logout, set-password, the account page and the front door."""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from ..extensions import db, limiter
from ..i18n import _, translate
from ..models import User, utcnow
from ..security import verify_password
from ..tenancy import cross_tenant

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def login_account_key() -> str:
    """The account a login attempt names (a digest: limits are stored in Redis, e-mails are not)."""
    email = (request.form.get("email") or "").strip().lower()
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def _failed_login(response) -> bool:
    return response.status_code == 401


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def safe_return(target: str | None) -> str | None:
    """Where to go back to after a choice made on a page: ``target`` when it is a same-site
    path, else the Referer when it is this site's; without a ``lang=`` in the query, which would
    override the choice just saved."""
    from urllib.parse import parse_qsl, urlencode

    path = _safe_next(target)
    if path is None and request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host and parts.path.startswith("/"):
            path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path is None:
        return None
    parts = urlsplit(path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return _safe_next(parts.path + (f"?{query}" if query else ""))


def home_for(user) -> str:
    return "/dashboard/"


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], key_func=get_remote_address, scope="login-address")
@limiter.limit(_account_limit, methods=["POST"], key_func=login_account_key, scope="login-account",
               deduct_when=_failed_login)
def login():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or home_for(current_user))
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        password = request.form.get("password") or ""
        if not email:
            errors["email"] = _("Enter your e-mail address.")
        if not password:
            errors["password"] = _("Enter your password.")
        if not errors:
            with cross_tenant("log a user in by e-mail"):
                user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
                ok = verify_password(user.password_hash if user else None, password)
                if ok and user is not None and user.active:  # ok: there is a user
                    user.last_login_at = utcnow()
                    db.session.commit()
                    login_user(user)
                    log.info("login of %s", email)
                    return redirect(next_url or home_for(user))
            log.warning("failed login for %s from %s", email, request.remote_addr)
            errors["form"] = _("The e-mail address or password is wrong.")
    status = 401 if errors.get("form") else (422 if errors else 200)
    return render_template("login.html", errors=errors, email=email, next=next_url or ""), status


@bp.post("/logout")
def logout():
    """POST only, with the CSRF token (another site cannot log you out). Every session of the
    person ends, on every device: a copied cookie stops working too."""
    from ..services.accounts import sign_out_everywhere

    if current_user.is_authenticated:
        sign_out_everywhere(current_user.id)
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], key_func=get_remote_address, scope="set-password")
def set_password(token: str):
    """Redeem a one-time link from an admin: choose a password, then log in."""
    from ..services.accounts import MIN_PASSWORD_LENGTH, check_password_token, set_password_with_token
    from ..services.errors import ServiceError

    errors: dict[str, str] = {}
    valid = check_password_token(token)
    if request.method == "POST" and valid:
        password = request.form.get("password") or ""
        confirm = request.form.get("confirm") or ""
        if password != confirm:
            errors["confirm"] = _("The two passwords differ.")
        else:
            try:
                user = set_password_with_token(token, password)
            except ServiceError as err:
                if err.errors:
                    errors.update({e["field"]: translate(e["message"]) for e in err.errors})
                else:
                    errors["form"] = translate(err.detail)
            else:
                # The person has just proved who they are: in they go, without typing it all again.
                with cross_tenant("log in the person who has just set a password"):
                    login_user(user)  # reads their id and new auth epoch
                flash(_("Your password is set. Welcome to Reachboard."))
                return redirect(home_for(user))
    status = 404 if not valid else (422 if errors else 200)
    return render_template("set_password.html", valid=valid, errors=errors, token=token,
                           min_length=MIN_PASSWORD_LENGTH), status
