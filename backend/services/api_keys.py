"""API keys: issued to third parties, stored as a hash, shown once."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import ApiKey, utcnow
from ..security import generate_api_key
from ..tenancy import SCOPES, current_principal
from . import audit, privileges
from .companies import get_company
from .errors import NotFound, ValidationFailed


def list_keys(*, company_id: uuid.UUID | str | None = None, include_revoked: bool = True) -> Select[ApiKey]:
    privileges.require_key_manager(current_principal())
    stmt = select(ApiKey).order_by(ApiKey.created_at.desc())
    if company_id is not None:
        stmt = stmt.where(ApiKey.company_id == get_company(company_id).id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return stmt


def all_keys(*, company_id: uuid.UUID | str | None = None, include_revoked: bool = True) -> list[ApiKey]:
    """The keys :func:`list_keys` selects, newest first."""
    return list(db.session.scalars(list_keys(company_id=company_id, include_revoked=include_revoked)))


def get_key(key_id: uuid.UUID | str) -> ApiKey:
    """A key by id: for key managers, or a key reading itself."""
    p = current_principal()
    try:
        kid = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
    except ValueError:
        raise NotFound("No API key with this id.") from None
    if p.api_key_id != kid:
        privileges.require_key_manager(p)
    key = db.session.scalars(select(ApiKey).where(ApiKey.id == kid)).first()
    if key is None:
        raise NotFound("No API key with this id.")
    return key


def create_key(data: dict[str, Any]) -> tuple[ApiKey, str]:
    """Create a key; returns (row, plaintext). The plaintext is never stored."""
    p = current_principal()
    privileges.require_key_manager(p)
    scopes = list(dict.fromkeys(data.get("scopes") or ["metrics:write"]))
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise ValidationFailed.field("scopes", f"Unknown scope {bad[0]!r}; use {', '.join(SCOPES)}.")
    privileges.require_scopes_within(p, scopes)
    company_id = get_company(data["company_id"]).id if data.get("company_id") else None
    plaintext, prefix, digest = generate_api_key()
    key = ApiKey(
        name=(data.get("name") or "API key").strip()[:200],
        prefix=prefix,
        key_hash=digest,
        scopes=scopes,
        company_id=company_id,
        created_by_id=p.user_id,
    )
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.create", key, object_type="api_key", company_id=company_id,
                 summary=f"Created API key {key.name} ({', '.join(scopes)})")
    db.session.commit()
    return key, plaintext


def revoke_key(key_id: uuid.UUID | str) -> ApiKey:
    """Revoke a key (key managers), or a key revoking itself."""
    key = get_key(key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record("api_key.revoke", key, object_type="api_key", company_id=key.company_id,
                     summary=f"Revoked API key {key.name}")
    db.session.commit()
    return key
