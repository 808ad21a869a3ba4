"""Shared API pieces: strict base schema, the company lookup every nested route starts from."""
from __future__ import annotations

from apispec import BasePlugin
from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    """Request schemas reject unknown fields (422 naming the field)."""

    class Meta:
        unknown = RAISE
        ordered = True


class OutSchema(Schema):
    class Meta:
        ordered = True


class PaginationQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1)
    page_size = fields.Integer(load_default=50)


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
