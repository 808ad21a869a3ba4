"""Error responses: RFC 9457 problem+json under /api, HTML pages elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy.exc import NoResultFound, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .services.errors import ServiceError
from .tenancy import Forbidden, NoPrincipal

log = logging.getLogger(__name__)

PROBLEM_TYPE = "about:blank"


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def problem(status: int, title: str, detail: str | None = None, errors=None, headers=None, **extra):
    body = {"type": PROBLEM_TYPE, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    if status == 503:  # its own Retry-After (or none) wins over the rate limiter's (backend/api/ratelimit.py)
        g.retry_after = str((headers or {}).get("Retry-After") or "")
    return resp


def _flatten_messages(messages, prefix="") -> list[dict]:
    """Turn marshmallow/webargs nested messages into [{field, message}]."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, val in messages.items():
            if key in ("json", "query", "form", "headers", "files", "path", "view_args") and not prefix:
                out.extend(_flatten_messages(val, ""))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "body"
            out.extend(_flatten_messages(val, name))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                out.append({"field": prefix or "body", "message": m})
        else:
            for m in messages:
                out.extend(_flatten_messages(m, prefix))
    else:
        out.append({"field": prefix or "body", "message": str(messages)})
    return out


def _page_words(status: int) -> tuple[str, str] | None:
    """A page's title and what to do, in the reader's language, for the errors people meet."""
    from .i18n import _

    words = {
        400: (_("Bad request"), _("The page could not understand what was sent. Go back and try again.")),
        401: (_("Not logged in"), _("Log in to see this page.")),
        403: (_("Forbidden"), _("You do not have access to this page.")),
        404: (_("Not found"), _("There is no such page, or you do not have access to it.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too large"), _("What was sent is larger than this page accepts.")),
        429: (_("Too many requests"), _("Too many tries in a short time. Wait a little and try again.")),
        500: (_("Something went wrong"), _("An unexpected error occurred. It has been logged.")),
        503: (_("Unavailable"), _("Reachboard is busy or being maintained. Try again in a minute.")),
    }
    return words.get(status)


def _html_error(status: int, title: str, detail: str | None, own_detail: bool = False):
    """The HTML error page. Its title is the reader's language; so is its text, unless the error
    carries its own explanation (``own_detail``: a service's message, in English until the
    services' messages are translated)."""
    words = _page_words(status)
    if words is not None:
        title = words[0]
        if not own_detail or not detail:
            detail = words[1]
    return render_template("error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(err: ServiceError):
        if wants_problem_json():
            return problem(err.status, err.title, err.detail, err.errors, **err.extra)
        return _html_error(err.status, err.title, err.detail, own_detail=True)

    @app.errorhandler(Forbidden)
    def _forbidden(err: Forbidden):
        if wants_problem_json():
            return problem(403, "Forbidden", err.message)
        return _html_error(403, "Forbidden", err.message, own_detail=True)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        title = err.name
        detail = err.description
        own_detail = detail != getattr(type(err), "description", None)  # given where it was raised
        errors = None
        headers = dict(err.get_headers()) if hasattr(err, "get_headers") else {}
        headers.pop("Content-Type", None)
        data = getattr(err, "data", None) or {}
        if isinstance(data, dict) and data.get("messages"):
            errors = _flatten_messages(data["messages"])
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
            if status == 422:
                title = "Validation failed"
        if isinstance(data, dict) and data.get("headers"):
            headers.update(data["headers"])
        if isinstance(data, dict) and data.get("message") and not errors:
            detail = data["message"]
        if status == 413:
            limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH")
            detail = f"The request body is larger than the limit of {limit} bytes."
        if status == 429:
            retry = headers.get("Retry-After")
            detail = f"Rate limit exceeded ({err.description})." + (f" Retry in {retry} seconds." if retry else "")
        if status == 500:
            detail = "An unexpected error occurred. It has been logged."
        if wants_problem_json():
            return problem(status, title, detail, errors, headers=headers)
        resp = _html_error(status, title, detail, own_detail=own_detail and status not in (413, 429, 500))
        return resp[0], resp[1], headers

    @app.errorhandler(NoResultFound)
    @app.errorhandler(StaleDataError)
    def _vanished(err: Exception):
        # The row being changed was deleted by another request meanwhile (a company deleted with its
        # keys while one of them is revoked): as missing as if it had never been there.
        from .extensions import db

        db.session.rollback()
        detail = "This object was deleted meanwhile."
        if wants_problem_json():
            return problem(404, "Not found", detail)
        return _html_error(404, "Not found", detail)

    @app.errorhandler(OperationalError)
    def _database_busy(err: OperationalError):
        # SQLite gave up waiting for the write lock (SQLITE_BUSY_TIMEOUT_MS): the request did
        # nothing and may be retried, so say so instead of an unexplained 500.
        from .extensions import db

        db.session.rollback()
        if "database is locked" not in str(err.orig):
            return _unexpected(err)
        log.warning("database busy on %s %s: %s", request.method, request.path, err.orig)
        detail = "The database is busy with other writes; nothing was changed. Retry shortly."
        if wants_problem_json():
            return problem(503, "Service Unavailable", detail, headers={"Retry-After": "1"})
        resp = _html_error(503, "Service Unavailable", detail)
        return resp[0], resp[1], {"Retry-After": "1"}

    @app.errorhandler(NoPrincipal)
    def _no_principal(err: NoPrincipal):
        log.error("scoping refused a query: %s", err)
        if wants_problem_json():
            return problem(401, "Unauthorized", "Authentication is required.",
                           headers={"WWW-Authenticate": 'Bearer realm="reachboard"'})
        return _html_error(401, "Unauthorized", "Please log in.")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return _http_error(err)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _http_error(InternalServerError())
