"""``Idempotency-Key`` for POST routes that write (metrics push and import).

The first request with a key stores a *running* marker in its own committed transaction,
then does the work, then stores its response. Within 24 hours the same credential sending the
same key gets:

- the stored response (same status and body, header ``Idempotent-Replayed: true``) when the
  request is identical, without doing the work again;
- 422 when the request (method, path, query, body) differs;
- 409 while the first request is still running.

Only successful (2xx) responses are kept: when the work fails (validation, conflict, crash),
the marker is removed, so the client may fix the request and retry with the same key.
A marker left *running* for more than ten minutes (a killed worker) is treated as abandoned.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import uuid

from flask import Response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyRecord, utcnow
from ..services.errors import Conflict, ValidationFailed
from ..tenancy import current_principal

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
ABANDONED = dt.timedelta(minutes=10)


def _credential() -> str:
    p = current_principal()
    return str(p.api_key_id or p.user_id or p.label)[:64]


def _request_hash() -> str:
    h = hashlib.sha256()
    h.update(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    resp = Response(record.response_body or "", status=record.response_status or 200,
                    mimetype="application/json")
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _answer_existing(record: IdempotencyRecord, digest: str, now: dt.datetime) -> Response | None:
    """The answer for a key already seen, or None when the old record may be replaced."""
    if now - record.created_at > KEEP or (record.state == "running" and now - record.created_at > ABANDONED):
        db.session.delete(record)
        db.session.flush()
        return None
    if record.request_hash != digest:
        raise ValidationFailed.field(HEADER, "This Idempotency-Key was already used with a different request; "
                                             "use a new key for a new request.")
    if record.state == "running":
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later.")
    return _replay(record)


def _remove(record_id) -> None:
    try:
        db.session.rollback()
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        db.session.commit()
    except Exception:  # noqa: BLE001 - never hide the original error
        db.session.rollback()
        log.exception("could not remove the idempotency marker %s", record_id)


def idempotent(view):
    """Decorate a view method (outside flask-smorest's argument/response decorators)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise ValidationFailed.field(HEADER, "Must be 1 to 255 printable characters.")
        credential, digest, now = _credential(), _request_hash(), utcnow()
        stmt = select(IdempotencyRecord).where(IdempotencyRecord.credential == credential,
                                               IdempotencyRecord.key == key)
        record = db.session.scalars(stmt).first()
        if record is not None:
            answer = _answer_existing(record, digest, now)
            if answer is not None:
                db.session.rollback()
                return answer
        db.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.credential == credential, IdempotencyRecord.created_at < now - KEEP))
        record_id = uuid.uuid4()
        record = IdempotencyRecord(id=record_id, credential=credential, key=key, request_hash=digest, state="running",
                                   created_at=now)
        db.session.add(record)
        try:
            db.session.commit()  # visible to a concurrent twin before the work starts
        except IntegrityError:
            db.session.rollback()
            twin = db.session.scalars(stmt).first()
            if twin is not None:
                answer = _answer_existing(twin, digest, now)
                if answer is not None:
                    return answer
            raise Conflict("A request with this Idempotency-Key is still being processed; retry later.") from None
        try:
            resp = view(*args, **kwargs)
        except BaseException:
            _remove(record_id)
            raise
        if not isinstance(resp, Response) or not 200 <= resp.status_code < 300:
            _remove(record_id)
            return resp
        try:
            db.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == record_id).values(
                state="done", response_status=resp.status_code, response_body=resp.get_data(as_text=True)))
            db.session.commit()
        except Exception:  # noqa: BLE001 - the work is done; a lost record only loses the replay
            db.session.rollback()
            log.exception("could not store the idempotent response for key %s", key)
            _remove(record_id)
        return resp

    return wrapper
