from marshmallow import fields, validate

from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

NAME = validate.Length(min=1, max=200)


class CompanySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    industry = fields.String()
    timezone = fields.String()
    archived = fields.Boolean()
    version = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


def _tz(value: str) -> bool:
    from zoneinfo import available_timezones

    if value not in available_timezones() and value != "UTC":
        from marshmallow import ValidationError

        raise ValidationError("Unknown time zone; use an IANA name such as 'Europe/Stockholm'.")
    return True


class CompanyCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=NAME)
    industry = fields.String(load_default="", validate=validate.Length(max=200))
    timezone = fields.String(load_default="UTC", validate=_tz)
    archived = fields.Boolean(load_default=False)


class CompanyUpdateSchema(StrictSchema):
    name = fields.String(validate=NAME)
    industry = fields.String(validate=validate.Length(max=200))
    timezone = fields.String(validate=_tz)
    archived = fields.Boolean()
    version = fields.Integer(
        metadata={"description": "If given, the update is refused (409) when the company changed meanwhile."})


class CompanyQuerySchema(PaginationQuerySchema):
    archived = fields.Boolean(metadata={"description": "Filter by archived state"})
    q = fields.String(metadata={"description": "Part of the name"})
