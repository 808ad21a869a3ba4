"""The tenancy mixins every tenant-owned model carries, and the column defaults they share."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


class TenantOwned:
    """Mixin: the row belongs to one agency (``agency_id``)."""

    __tenant_owned__ = True
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))


class CompanyOwned(TenantOwned):
    """Mixin: the row belongs to one company of one agency (``company_id``)."""

    __company_owned__ = True
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
