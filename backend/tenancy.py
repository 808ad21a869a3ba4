"""The one tenant-scoping layer.

Every request is bound to exactly one :class:`Principal` (a logged-in user or an API key).
Every ORM statement that touches a tenant-owned model is filtered here, below the routes, to the
principal's agency and the companies it may see; without a principal it raises
:class:`NoPrincipal` (fail closed). Code that must cross tenants (login, API-key lookup, CLI
commands, benchmarks) says so with ``with cross_tenant("why"):``.

New tenant-owned rows get their ``agency_id`` from the principal; a row for another agency is
refused at flush time.
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

ROLES_STAFF = ("owner", "admin", "member")
ROLE_VIEWER = "viewer"
ROLES = ROLES_STAFF + (ROLE_VIEWER,)
ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}

SCOPES = ("metrics:write", "read", "write", "admin")
# What each scope (or user role) grants.
SCOPE_GRANTS = {
    "metrics:write": {"metrics:write", "channels:list"},
    "read": {"read", "channels:list"},
    "write": {"read", "write", "metrics:write", "channels:list"},
    "admin": {"read", "write", "metrics:write", "channels:list", "admin"},
}
ROLE_SCOPES = {"owner": "admin", "admin": "admin", "member": "write", "viewer": "read"}


class NoPrincipal(RuntimeError):
    """A tenant-owned query was built with no principal and no explicit cross-tenant block."""


class Forbidden(Exception):
    """The principal reaches the object but lacks the role or scope (HTTP 403)."""

    def __init__(self, message: str = "You do not have permission to do this."):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is acting: fixes the agency and the companies in reach."""

    kind: str  # "user" | "api_key" | "system"
    agency_id: uuid.UUID
    label: str
    grants: frozenset[str]
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    role: str | None = None
    scopes: tuple[str, ...] = ()
    # None: every company of the agency; otherwise only these.
    company_ids: frozenset[uuid.UUID] | None = field(default=None)

    @classmethod
    def for_user(cls, user, role: str, company_ids=None) -> "Principal":
        return cls(
            kind="user",
            agency_id=user.agency_id,
            label=user.email,
            grants=frozenset(SCOPE_GRANTS[ROLE_SCOPES[role]]),
            user_id=user.id,
            role=role,
            company_ids=None if role in ROLES_STAFF else frozenset(company_ids or ()),
        )

    @classmethod
    def for_api_key(cls, key) -> "Principal":
        grants: set[str] = set()
        for scope in key.scopes:
            grants |= SCOPE_GRANTS.get(scope, set())
        return cls(
            kind="api_key",
            agency_id=key.agency_id,
            label=f"api-key:{key.name}",
            grants=frozenset(grants),
            api_key_id=key.id,
            scopes=tuple(key.scopes),
            company_ids=None if key.company_id is None else frozenset({key.company_id}),
        )

    @classmethod
    def system(cls, agency_id: uuid.UUID, label: str = "system") -> "Principal":
        """A principal for CLI commands acting inside one agency with full rights."""
        return cls(kind="system", agency_id=agency_id, label=label,
                   grants=frozenset(SCOPE_GRANTS["admin"]), role="owner")

    # --- rights -----------------------------------------------------------------------------
    def can(self, grant: str) -> bool:
        return grant in self.grants

    def require(self, grant: str, message: str | None = None) -> None:
        if grant not in self.grants:
            raise Forbidden(message or f"This action needs the '{grant}' permission.")

    def reaches_company(self, company_id: uuid.UUID) -> bool:
        return self.company_ids is None or company_id in self.company_ids

    @property
    def is_staff(self) -> bool:
        return self.kind == "user" and self.role in ROLES_STAFF or self.kind == "system"

    @property
    def actor_user_id(self) -> uuid.UUID | None:
        return self.user_id


_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)
_cross_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("cross_tenant", default=None)


def current_principal() -> Principal:
    """The principal of this request; raises :class:`NoPrincipal` when there is none."""
    p = _principal.get()
    if p is None:
        raise NoPrincipal("No principal is bound: tenant-owned data cannot be reached")
    return p


def get_principal() -> Principal | None:
    return _principal.get()


def bind_principal(principal: Principal | None):
    """Bind a principal for the rest of this context; returns a token for :func:`unbind`."""
    return _principal.set(principal)


def unbind(token) -> None:
    _principal.reset(token)


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    token = _principal.set(principal)
    try:
        yield principal
    finally:
        _principal.reset(token)


@contextmanager
def cross_tenant(reason: str) -> Iterator[None]:
    """Explicitly lift tenant scoping (login, key lookup, CLI across agencies)."""
    if not reason:
        raise ValueError("cross_tenant needs a reason")
    token = _cross_tenant.set(reason)
    ptoken = _principal.set(None)
    try:
        yield
    finally:
        _principal.reset(ptoken)
        _cross_tenant.reset(token)


class TenantOwned:
    """Mixin: the row belongs to one agency (``agency_id``)."""

    __tenant_owned__ = True
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))


class CompanyOwned(TenantOwned):
    """Mixin: the row belongs to one company of one agency (``company_id``)."""

    __company_owned__ = True
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))


def _agency_criteria(agency_id):
    return lambda cls: cls.agency_id == agency_id


def _company_criteria(company_ids):
    return lambda cls: cls.company_id.in_(company_ids)


def install_scoping(session_cls=Session) -> None:
    """Attach the scoping hooks to every ORM session (idempotent)."""
    if getattr(install_scoping, "_installed", False):
        return
    install_scoping._installed = True

    @event.listens_for(session_cls, "do_orm_execute")
    def _scope_statement(state: ORMExecuteState) -> None:
        if not (state.is_select or state.is_update or state.is_delete):
            return
        if _cross_tenant.get() is not None:
            return
        principal = _principal.get()
        if principal is None:
            # Fail closed: walk the whole statement (subqueries too) for tenant tables.
            mappers = [m for m in _statement_mappers(state)]
            tenant_mappers = [m for m in mappers if getattr(m.class_, "__tenant_owned__", False)]
            if not tenant_mappers:
                return
            names = ", ".join(sorted({m.class_.__name__ for m in tenant_mappers}))
            raise NoPrincipal(f"Query on tenant-owned {names} without a principal")
        if not hasattr(state.statement, "options"):
            return
        # With a principal the criteria are added unconditionally: they apply wherever a
        # tenant-owned entity appears and are inert elsewhere, so no statement walk is needed.
        options = [
            with_loader_criteria(TenantOwned, _agency_criteria(principal.agency_id), include_aliases=True)
        ]
        if principal.company_ids is not None:
            from .models import Company  # local: models import this module

            ids = tuple(principal.company_ids) or (uuid.UUID(int=0),)
            options.append(
                with_loader_criteria(CompanyOwned, _company_criteria(ids), include_aliases=True)
            )
            options.append(with_loader_criteria(Company, lambda cls: cls.id.in_(ids), include_aliases=True))
        state.statement = state.statement.options(*options)

    @event.listens_for(session_cls, "before_flush")
    def _stamp_agency(session: Session, _ctx, _instances) -> None:
        principal = _principal.get()
        crossing = _cross_tenant.get() is not None
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if not getattr(type(obj), "__tenant_owned__", False):
                continue
            if principal is None:
                if crossing and obj.agency_id is not None:
                    continue
                raise NoPrincipal(f"Writing {type(obj).__name__} without a principal")
            if obj.agency_id is None:
                obj.agency_id = principal.agency_id
            elif obj.agency_id != principal.agency_id:
                raise NoPrincipal(f"{type(obj).__name__} belongs to another agency")
            if (
                getattr(type(obj), "__company_owned__", False)
                and principal.company_ids is not None
                and obj.company_id not in principal.company_ids
            ):
                raise NoPrincipal(f"{type(obj).__name__} belongs to a company out of reach")


def _statement_mappers(state: ORMExecuteState):
    """Every mapper whose table appears ANYWHERE in the statement: entities, joins, and
    subqueries (e.g. ``select(func.count()).select_from(select(Company).subquery())``)."""
    seen = list(state.all_mappers)
    by_table = _mappers_by_table()
    tables = {id(t): t for t in _tables_in(state.statement)}
    for table in tables.values():
        mapper = by_table.get(getattr(table, "name", None))
        if mapper is not None:
            seen.append(mapper)
    return seen


def _tables_in(statement):
    from sqlalchemy.sql import visitors
    from sqlalchemy.sql.schema import Table

    for element in visitors.iterate(statement):
        if isinstance(element, Table):
            yield element


_MAPPERS_BY_TABLE: dict = {}


def _mappers_by_table() -> dict:
    if not _MAPPERS_BY_TABLE:
        from .extensions import db

        for mapper in db.Model.registry.mappers:
            _MAPPERS_BY_TABLE[mapper.local_table.name] = mapper
    return _MAPPERS_BY_TABLE
