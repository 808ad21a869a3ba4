"""Rate limits for the API (Flask-Limiter).

- ``API_RATE_LIMIT`` — one shared budget per client (API key, or logged-in user) across the API;
- ``PUSH_RATE_LIMIT`` — metric pushes and CSV imports, per client and, separately, per company.

Limits are stored in memory (per process) unless ``REDIS_URL`` is set (config.py); with Redis
unreachable they fall back to memory rather than failing requests. A breach answers 429
problem+json with ``Retry-After`` and ``RateLimit-Limit/-Remaining/-Reset`` headers; every other
answer of a limited route carries the ``RateLimit-*`` headers only (Flask-Limiter would add
``Retry-After`` to a 200 too, where it means nothing: ``retry_after_only_when_limited``, which also keeps a
503's own ``Retry-After``).

The key functions do not need the request's principal: blueprint-wide limits are checked
before it is bound, so they identify the client from the raw credential (a hash of the bearer
token, or the session's user id).
"""
from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request, session
from flask_limiter.util import get_remote_address

from ..extensions import limiter


def retry_after_only_when_limited(app: Flask) -> None:
    """Drop Flask-Limiter's ``Retry-After`` from answers that are not 429 (or 503). Call before
    ``limiter.init_app``: after-request hooks run in reverse order, so this one runs after the
    limiter has added its headers."""

    @app.after_request
    def _drop_retry_after(resp: Response) -> Response:
        if resp.status_code not in (429, 503):
            resp.headers.pop("Retry-After", None)
        elif resp.status_code == 503 and "retry_after" in g:
            # The answer's own wait (a database busy for a second, a PDF being rendered) or none at
            # all (nothing to wait for), never the rate limit's window.
            if g.retry_after:
                resp.headers["Retry-After"] = g.retry_after
            else:
                resp.headers.pop("Retry-After", None)
        return resp


def client_key() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "key:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    user_id = session.get("_user_id") if session else None
    if user_id:
        return f"user:{user_id}"
    return "ip:" + (get_remote_address() or "unknown")


def company_key() -> str:
    return "company:" + str((request.view_args or {}).get("company_id", ""))


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _push_limit() -> str:
    return current_app.config["PUSH_RATE_LIMIT"]


def api_limit():
    """The general per-client API budget (one counter shared by every API route)."""
    return limiter.shared_limit(_api_limit, scope="api", key_func=client_key)


def push_limit_per_client():
    return limiter.shared_limit(_push_limit, scope="metrics-push", key_func=client_key)


def push_limit_per_company():
    return limiter.shared_limit(_push_limit, scope="metrics-push-company", key_func=company_key)


_limited_blueprints: set[str] = set()


def limit_blueprint(blueprint) -> None:
    """Apply the general API budget to every route of a resource blueprint (routes that declare
    their own limits add ``api_limit()`` themselves). Idempotent: apps built later reuse it."""
    if blueprint.name not in _limited_blueprints:
        _limited_blueprints.add(blueprint.name)
        api_limit()(blueprint)
