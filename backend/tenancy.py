"""Who is acting: the principal of a request, its roles and scopes, and the context it is bound
in. The scoping hook that filters every tenant-owned query by it is backend/scoping.py; the
tenant-owned model mixins are in backend/models/base.py. This module imports nothing of the app.

Every request is bound to exactly one :class:`Principal` (a logged-in user or an API key);
without one, a tenant-owned query raises :class:`NoPrincipal` (fail closed). Code that must cross
tenants (login, API-key lookup, CLI commands, benchmarks) says so with
``with cross_tenant("why"):``.
"""
from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

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


class UserLike(Protocol):
    """What a principal is made from for a person (backend.models.User)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def agency_id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...


class ApiKeyLike(Protocol):
    """What a principal is made from for an API key (backend.models.ApiKey)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def agency_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def scopes(self) -> list[str]: ...
    @property
    def company_id(self) -> uuid.UUID | None: ...


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
    def for_user(cls, user: UserLike, role: str, company_ids: Iterable[uuid.UUID] | None = None) -> Principal:
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
    def for_api_key(cls, key: ApiKeyLike) -> Principal:
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
    def system(cls, agency_id: uuid.UUID, label: str = "system") -> Principal:
        """A principal for CLI commands acting inside one agency with full rights."""
        return cls(kind="system", agency_id=agency_id, label=label,
                   grants=frozenset(SCOPE_GRANTS["admin"]), role="owner")

    # --- rights -----------------------------------------------------------------------------
    def can(self, grant: str) -> bool:
        return grant in self.grants

    def require(self, grant: str, message: str | None = None) -> None:
        if grant not in self.grants:
            raise Forbidden(message or f"This action needs the '{grant}' permission.")

    @property
    def is_staff(self) -> bool:
        return self.kind == "user" and self.role in ROLES_STAFF or self.kind == "system"


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


def crossing_reason() -> str | None:
    """Why tenant scoping is lifted right now (inside :func:`cross_tenant`), or None."""
    return _cross_tenant.get()


def bind_principal(principal: Principal | None) -> contextvars.Token[Principal | None]:
    """Bind a principal for the rest of this context; returns a token for :func:`unbind`."""
    return _principal.set(principal)


def unbind(token: contextvars.Token[Principal | None]) -> None:
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
