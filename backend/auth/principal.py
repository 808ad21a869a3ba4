"""Bind one principal per request: an API key (Authorization: Bearer) or a session user.

Every route is private unless its endpoint is declared public here; a request without a
principal to a private route gets 401 (API, Dash JSON) or a redirect to /login (pages).
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from ..database import write_transaction
from ..errors import problem
from ..extensions import db, login_manager
from ..models import ApiKey, ClientAccess, User, utcnow
from ..security import hash_token, same_hash
from ..tenancy import Principal, bind_principal, cross_tenant, unbind

log = logging.getLogger(__name__)

# Endpoints anyone may call. Everything else needs a principal.
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.index",
    "auth.set_password",
    "health.healthz",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "api_docs_assets.asset",
    "vendor.asset",
    "vendor.favicon",
    "share.page",
    "auth.unsubscribe",
}
# Endpoints that never read the visitor's session or key: the public share page acts as its link
# alone (backend/share/), so it sets no cookie and shows a logged-in visitor what anyone sees.
ANONYMOUS_ENDPOINTS = {"share.page", "auth.unsubscribe"}
AUTH_HEADER_CHALLENGE = 'Bearer realm="reachboard"'
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404 / 405 are answered by the error handlers
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("_dash_assets") or endpoint.endswith(".static")


@login_manager.user_loader
def _load_user(session_id: str):
    """The session holds ``<user id>:<auth epoch>`` (``User.get_id``): a session made before the
    person's epoch was raised (logout, password change, deactivation, role change, "sign out
    everywhere") no longer loads."""
    import uuid

    uid_text, _, epoch_text = (session_id or "").partition(":")
    try:
        uid = uuid.UUID(uid_text)
        epoch = int(epoch_text)
    except ValueError:
        return None
    with cross_tenant("load the session's user"):
        # The membership (role) in the same query: every request of a session needs it.
        user = db.session.get(User, uid, options=[joinedload(User.membership)])
        if user is None or not user.active or user.auth_epoch != epoch:
            return None
        return user


def principal_for_user(user: User) -> Principal:
    with cross_tenant("resolve a user's role and companies"):
        role = user.membership.role if user.membership else "viewer"
        company_ids = None
        if role == "viewer":
            company_ids = db.session.scalars(
                select(ClientAccess.company_id).where(ClientAccess.user_id == user.id)
            ).all()
    return Principal.for_user(user, role, company_ids)


def principal_for_key(plaintext: str) -> Principal | None:
    digest = hash_token(plaintext)
    with cross_tenant("look up an API key by its hash"):
        key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
        if key is None or key.revoked_at is not None or not same_hash(key.key_hash, digest):
            return None
        principal = Principal.for_api_key(key)
        now = utcnow()
        stale = key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION
        key_id = key.id
        if stale:
            # End the read transaction, then write in a short one that takes the lock up front.
            db.session.commit()
            try:
                with write_transaction():
                    db.session.execute(
                        ApiKey.__table__.update().where(ApiKey.__table__.c.id == key_id).values(last_used_at=now)
                    )
                    db.session.commit()
            except OperationalError:  # best effort: never fail a request over last_used_at
                db.session.rollback()
                log.warning("could not record last_used_at of API key %s", key_id)
        return principal


def _unauthorized(detail: str):
    if request.path.startswith("/api/") or "/_dash-" in request.path:
        return problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": AUTH_HEADER_CHALLENGE})
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_principal(app: Flask) -> None:
    @app.before_request
    def _bind_principal():
        g._principal_token = bind_principal(None)
        if request.endpoint in ANONYMOUS_ENDPOINTS:
            return None
        header = request.headers.get("Authorization")
        principal = None
        if header:
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                return _unauthorized("Use 'Authorization: Bearer <api key>'.")
            principal = principal_for_key(credentials.strip())
            if principal is None:
                return _unauthorized("The API key is unknown or revoked.")
            g.auth_kind = "api_key"
        elif current_user.is_authenticated:
            principal = principal_for_user(current_user)
            g.auth_kind = "session"
        if principal is not None:
            g._principal_token = bind_principal(principal)
            return None
        if is_public_endpoint(request.endpoint):
            return None
        if request.args.get("api_key") or request.args.get("key"):
            return _unauthorized("API keys are accepted only in the Authorization header, never in the URL.")
        return _unauthorized("Authentication is required: log in or send 'Authorization: Bearer <api key>'.")

    @app.teardown_request
    def _unbind_principal(_exc):
        token = g.pop("_principal_token", None)
        if token is not None:
            try:
                unbind(token)
            except ValueError:
                bind_principal(None)
