"""``Idempotency-Key`` for POST routes that write (metrics push and import).

The first request with a key stores a *running* marker in its own committed transaction,
then does the work, then stores its response. Within 24 hours the same credential sending the
same key gets:

- the stored response (same status and body, header ``Idempotent-Replayed: true``) when the
  request is identical, without doing the work again;
- 422 when the request (method, path, query, body) differs;
- 409 while the first request is still running.

Only successful (2xx) responses are kept: when the work fails (validation, conflict), the
marker is removed, so the client may fix the request and retry with the same key.

A worker killed mid-way cannot remove its marker, so a *running* marker holds a short lease and
names its holder (``host:pid``). It is abandoned, and the key free again, as soon as:

- its holder is a process on this host that no longer exists (a killed gunicorn worker), or
- its lease has run out: ``IDEMPOTENCY_LEASE_SECONDS`` (30 s), plus a second per MB of body for a
  large CSV import (a holder on another host cannot be checked).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import socket
import uuid

from flask import Response, current_app, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyRecord, utcnow
from ..services.errors import Conflict, ValidationFailed
from ..tenancy import current_principal

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
HOST = socket.gethostname()[:100]


def holder() -> str:
    """This process, as a running marker names it."""
    return f"{HOST}:{os.getpid()}"


def holder_is_gone(name: str | None) -> bool:
    """True when the marker's holder is a process of this host that does not exist any more."""
    host, _, pid = (name or "").rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


def lease(body_bytes: int) -> dt.timedelta:
    seconds = current_app.config.get("IDEMPOTENCY_LEASE_SECONDS", 30)
    return dt.timedelta(seconds=seconds + body_bytes // 1_000_000)


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
    abandoned = record.state == "running" and (
        holder_is_gone(record.holder) or (record.lease_until is not None and record.lease_until < now)
        or (record.lease_until is None and now - record.created_at > lease(0)))
    if now - record.created_at > KEEP or abandoned:
        if abandoned:
            log.warning("idempotency key %s: the running marker of %s was abandoned; taking it over",
                        record.key, record.holder)
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
                                   created_at=now, holder=holder(),
                                   lease_until=now + lease(len(request.get_data(cache=True))))
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
                state="done", response_status=resp.status_code, response_body=resp.get_data(as_text=True),
                holder=None, lease_until=None))
            db.session.commit()
        except Exception:  # noqa: BLE001 - the work is done; a lost record only loses the replay
            db.session.rollback()
            log.exception("could not store the idempotent response for key %s", key)
            _remove(record_id)
        return resp

    return wrapper
