"""Companies: the client accounts of an agency."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Company, Strategy
from ..tenancy import Principal, current_principal
from . import audit
from .errors import Conflict, NotFound, StaleObject
from .memo import request_memo

EDITABLE = ("name", "industry", "timezone", "archived")
# Called with a company whose time zone changed, inside that change's transaction: report schedules
# compute their next runs again (backend/services/report_schedules.py registers itself here, as it
# imports this module).
TIMEZONE_LISTENERS: list[Callable[[Company], None]] = []
# Called with a new company inside its creation's transaction: alert rules add the defaults
# (backend/services/alert_rules.py registers itself here, as it imports this module).
CREATE_LISTENERS: list[Callable[[Company], None]] = []


def list_companies(*, include_archived: bool = True, search: str | None = None, archived: bool | None = None
                   ) -> Select[Company]:
    """A select of the companies in the principal's reach (scoped below), for API pagination;
    ``archived`` keeps only archived (True) or active (False) ones."""
    current_principal().require("read")
    stmt = select(Company).order_by(Company.name)
    if not include_archived:
        stmt = stmt.where(Company.archived.is_(False))
    if archived is not None:
        stmt = stmt.where(Company.archived.is_(archived))
    if search:
        stmt = stmt.where(func.lower(Company.name).contains(search.lower()))
    return stmt


def all_companies(*, include_archived: bool = True, search: str | None = None, archived: bool | None = None
                  ) -> list[Company]:
    """The companies :func:`list_companies` selects, by name."""
    return list(db.session.scalars(list_companies(include_archived=include_archived, search=search,
                                                  archived=archived)))


def get_company(company_id: uuid.UUID | str) -> Company:
    """The company if the principal reaches it; :class:`NotFound` otherwise (no difference).

    Within one request the answer is remembered per principal and id: a dashboard callback or an
    API call resolves the same company in several services, and each would otherwise query it
    again. The memo lives on the request (``flask.g``) and is keyed by the principal itself, so it
    can never answer for another principal or outlive the request."""
    try:
        cid = company_id if isinstance(company_id, uuid.UUID) else uuid.UUID(str(company_id))
    except ValueError:
        raise NotFound("No company with this id.") from None
    memo = _request_memo()
    key = (current_principal(), cid)
    if memo is not None and key in memo:
        return memo[key]
    company = db.session.scalars(select(Company).where(Company.id == cid)).first()
    if company is None:
        raise NotFound("No company with this id.")
    if memo is not None:
        memo[key] = company
    return company


def _request_memo() -> dict[tuple[Principal, uuid.UUID], Company] | None:
    """The per-request memo of :func:`get_company` (None outside a request)."""
    return request_memo("companies")


def create_company(data: dict[str, Any]) -> Company:
    p = current_principal()
    p.require("admin", "Only agency owners and admins (or admin keys) create companies.")
    company = Company(
        name=data["name"].strip(),
        industry=data.get("industry", ""),
        timezone=data.get("timezone", "UTC"),
        archived=data.get("archived", False),
    )
    db.session.add(company)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"A company named '{company.name}' already exists.",
                       errors=[{"field": "name", "message": "A company with this name already exists."}]) from None
    db.session.add(Strategy(company_id=company.id, agency_id=company.agency_id))
    for listener in CREATE_LISTENERS:
        listener(company)
    audit.record("company.create", company, summary=f"Created company {company.name}")
    db.session.commit()
    return company


def update_company(company_id: uuid.UUID | str, data: dict[str, Any], *,
                   expected_version: int | None = None) -> Company:
    p = current_principal()
    company = get_company(company_id)
    p.require("admin", "Only agency owners and admins (or admin keys) edit companies.")
    if expected_version is not None and expected_version != company.version:
        raise StaleObject("This company was changed by someone else meanwhile; reload and try again.")
    changed = [k for k in EDITABLE if k in data and getattr(company, k) != data[k]]
    for k in changed:
        setattr(company, k, data[k].strip() if k == "name" else data[k])
    if changed:
        company.version += 1
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise Conflict("A company with this name already exists.",
                           errors=[{"field": "name", "message": "A company with this name already exists."}]) from None
        if "timezone" in changed:
            for listener in TIMEZONE_LISTENERS:
                listener(company)
        action = "company.update"
        if changed == ["archived"]:
            action = "company.archive" if company.archived else "company.restore"
        audit.record(action, company, summary=f"Changed {', '.join(changed)} of {company.name}")
    db.session.commit()
    return company


def delete_company(company_id: uuid.UUID | str) -> None:
    p = current_principal()
    company = get_company(company_id)
    p.require("admin", "Only agency owners and admins (or admin keys) delete companies.")
    audit.record("company.delete", company, summary=f"Deleted company {company.name}")
    deleted_id = company.id
    db.session.delete(company)
    db.session.commit()
    memo = _request_memo()
    if memo is not None:
        for key in [k for k in memo if k[1] == deleted_id]:
            del memo[key]
