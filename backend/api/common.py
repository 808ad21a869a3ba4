"""Shared API pieces: the blueprint class every resource uses, strict base schemas, bounded
input fields (dates, pages), UTC timestamps."""
from __future__ import annotations

import datetime as dt

from apispec import BasePlugin
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..bounds import DATE_MAX, DATE_MESSAGE, DATE_MIN, PAGE_MAX, date_in_bounds
from ..inputs import GuardedParser


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint, parsing JSON bodies once with the app's input limits."""

    ARGUMENTS_PARSER = GuardedParser()


def _day_in_bounds(value) -> None:
    if not date_in_bounds(value):
        raise ValidationError(DATE_MESSAGE)


class Day(fields.Date):
    """An input date (YYYY-MM-DD) from 2000-01-01 to 2100-12-31."""

    def __init__(self, **kwargs):
        validators = kwargs.pop("validate", None)
        extra = [validators] if callable(validators) else list(validators or [])
        metadata = dict(kwargs.pop("metadata", {}) or {})
        description = metadata.get("description", "")
        metadata["description"] = (description + " " if description else "") + \
            f"From {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}."
        super().__init__(validate=[_day_in_bounds, *extra], metadata=metadata, **kwargs)


class UtcDateTime(fields.DateTime):
    """An output timestamp in RFC 3339 with its offset: ``2026-11-30T08:21:36Z``.

    The database stores naive datetimes in UTC; they are dumped as UTC (``Z``). Documented as
    ``format: date-time`` (apispec maps the parent class)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        text = value.astimezone(dt.timezone.utc).isoformat()
        return text.removesuffix("+00:00") + "Z"


class StrictSchema(Schema):
    """Request schemas reject unknown fields (422 naming the field)."""

    class Meta:
        unknown = RAISE
        ordered = True


class OutSchema(Schema):
    class Meta:
        ordered = True


class PaginationQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class NoAdditionalPropertiesPlugin(BasePlugin):
    """Marshmallow's unknown=RAISE is not emitted by apispec; say it in the spec."""

    def schema_helper(self, name, definition, **kwargs):
        return {"additionalProperties": False}


class ProblemSchema(OutSchema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict())
