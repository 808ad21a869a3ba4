from marshmallow import fields, validate

from ...tenancy import SCOPES
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime


class ApiKeySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    prefix = fields.String(metadata={"description": "The first characters of the key, to recognise it"})
    scopes = fields.List(fields.String())
    company_id = fields.UUID(allow_none=True)
    created_by = fields.Method("_created_by", metadata={
        "type": "string", "format": "uuid", "nullable": True,
        "description": "The person who created it (null: the CLI, or a person since removed)"})
    created_at = UtcDateTime()
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)

    def _created_by(self, key):
        return str(key.created_by_id) if key.created_by_id else None


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The key itself. Shown only in this response: store it now."})


class ApiKeyCreateSchema(StrictSchema):
    name = fields.String(load_default="API key", validate=validate.Length(min=1, max=200))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), load_default=lambda: ["metrics:write"],
                         validate=validate.Length(min=1), metadata={"default": ["metrics:write"]})
    company_id = fields.UUID(load_default=None, allow_none=True)


class ApiKeyQuerySchema(PaginationQuerySchema):
    company_id = fields.UUID()
    include_revoked = fields.Boolean(load_default=True)
