"""The one tenant-scoping layer: an ORM hook that filters every statement on tenant-owned models.

Every ORM statement that touches a tenant-owned model (``TenantOwned``/``CompanyOwned`` in
backend/models/) is filtered here, below the routes, to the principal's agency and the
companies it may see (backend/tenancy.py binds the principal); without a principal it raises
:class:`NoPrincipal` (fail closed), wherever the table appears in the statement, subqueries
included. New tenant-owned rows get their ``agency_id`` from the principal; a row for another
agency, or a company out of reach, is refused at flush time. Rows of no agency (a system job's
failure) are never matched by the agency filter, so only an explicit ``cross_tenant`` reads them.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, event
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, UOWTransaction, with_loader_criteria
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.visitors import ExternallyTraversible

from .extensions import Model
from .models import Company, CompanyOwned, TenantOwned
from .tenancy import NoPrincipal, crossing_reason, get_principal


def _agency_criteria(agency_id: uuid.UUID) -> Callable[[type[TenantOwned]], ColumnElement[bool]]:
    return lambda cls: cls.agency_id == agency_id


def _company_criteria(company_ids: tuple[uuid.UUID, ...]) -> Callable[[type[CompanyOwned]], ColumnElement[bool]]:
    return lambda cls: cls.company_id.in_(company_ids)


_installed = False


def install_scoping(session_cls: type[Session] = Session) -> None:
    """Attach the scoping hooks to every ORM session (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(session_cls, "do_orm_execute")
    def _scope_statement(state: ORMExecuteState) -> None:
        if not (state.is_select or state.is_update or state.is_delete):
            return
        if crossing_reason() is not None:
            return
        principal = get_principal()
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
            ids = tuple(principal.company_ids) or (uuid.UUID(int=0),)
            options.append(
                with_loader_criteria(CompanyOwned, _company_criteria(ids), include_aliases=True)
            )
            options.append(with_loader_criteria(Company, lambda cls: cls.id.in_(ids), include_aliases=True))
        state.statement = state.statement.options(*options)

    @event.listens_for(session_cls, "before_flush")
    def _stamp_agency(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
        principal = get_principal()
        crossing = crossing_reason() is not None
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if not getattr(type(obj), "__tenant_owned__", False):
                continue
            if principal is None:
                # Crossing tenants: a row keeps the agency it names; a model that declares
                # ``__system_rows__`` (JobFailure) may also hold rows of no agency at all.
                if crossing and (obj.agency_id is not None or getattr(type(obj), "__system_rows__", False)):
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


def _statement_mappers(state: ORMExecuteState) -> list[Mapper[Any]]:
    """Every mapper whose table appears ANYWHERE in the statement: entities, joins, and
    subqueries (e.g. ``select(func.count()).select_from(select(Company).subquery())``)."""
    seen = list(state.all_mappers)
    by_table = _mappers_by_table()
    tables = {id(t): t for t in _tables_in(state.statement)}
    for table in tables.values():
        mapper = by_table.get(table.name)
        if mapper is not None:
            seen.append(mapper)
    return seen


def _tables_in(statement: Executable) -> Iterator[Table]:
    from sqlalchemy.sql import visitors

    # An ORM statement (select, update, delete) is a clause element: it has children to walk.
    for element in visitors.iterate(cast(ExternallyTraversible, statement)):
        if isinstance(element, Table):
            yield element


_MAPPERS_BY_TABLE: dict[str, Mapper[Any]] = {}


def _mappers_by_table() -> dict[str, Mapper[Any]]:
    if not _MAPPERS_BY_TABLE:
        for mapper in Model.registry.mappers:
            if isinstance(mapper.local_table, Table):  # every model is (see backend/models/)
                _MAPPERS_BY_TABLE[mapper.local_table.name] = mapper
    return _MAPPERS_BY_TABLE
