"""Pagination for list routes: ``page``/``page_size`` in, ``X-Pagination`` header out."""
from __future__ import annotations

import json
import math

from flask import current_app, g
from marshmallow import fields
from sqlalchemy import func, select

from ..extensions import db
from ..services.errors import ValidationFailed
from .common import OutSchema


class PaginationMetadataSchema(OutSchema):
    """The ``X-Pagination`` header, as JSON: ``{"total": 120, "total_pages": 3, "page": 2,
    "page_size": 50, "previous_page": 1, "next_page": 3}``."""

    SOMETIMES = ("previous_page", "next_page")

    total = fields.Integer(metadata={"description": "Items in the whole list", "minimum": 0})
    total_pages = fields.Integer(metadata={"description": "Pages in the whole list (0 when it is empty)",
                                           "minimum": 0})
    page = fields.Integer(metadata={"description": "This page's number (from 1)", "minimum": 1})
    page_size = fields.Integer(metadata={"description": "Items per page, as asked", "minimum": 1})
    previous_page = fields.Integer(metadata={"description": "Only when there is a page before this one",
                                             "minimum": 1})
    next_page = fields.Integer(metadata={"description": "Only when there is a page after this one", "minimum": 2})


def paginate(stmt, args: dict):
    """Run a scoped select for one page and set the X-Pagination header data."""
    page = args.get("page", 1)
    size = args.get("page_size", 50)
    max_size = current_app.config["PAGINATION_MAX_PAGE_SIZE"]
    if page < 1:
        raise ValidationFailed.field("page", "Must be 1 or more.")
    if size < 1 or size > max_size:
        raise ValidationFailed.field("page_size", f"Must be between 1 and {max_size}.")
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(size).offset((page - 1) * size)).all()
    set_pagination(total or 0, page, size)
    return items


def set_pagination(total: int, page: int, size: int) -> None:
    """The X-Pagination header data of one page of ``total`` items (for a list a service pages)."""
    pages = max(1, math.ceil(total / size)) if total else 0
    meta = {"total": total, "total_pages": pages, "page": page, "page_size": size}
    if page > 1:
        meta["previous_page"] = page - 1
    if page < pages:
        meta["next_page"] = page + 1
    g.pagination_header = json.dumps(meta)


def init_pagination_header(app) -> None:
    @app.after_request
    def _add_header(resp):
        header = g.pop("pagination_header", None)
        if header is not None:
            resp.headers["X-Pagination"] = header
        return resp
