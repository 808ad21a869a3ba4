from marshmallow import ValidationError, fields, validate

from ...tenancy import ROLES
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime


class UserSchema(OutSchema):
    SOMETIMES = ("set_password_token", "set_password_url")

    id = fields.UUID(dump_only=True)
    email = fields.String()
    name = fields.String()
    role = fields.String()
    company_ids = fields.Method("_company_ids", metadata={
        "type": "array", "items": {"type": "string", "format": "uuid"},
        "description": "Client viewers: the companies they see (empty for agency staff)"})
    active = fields.Boolean()
    version = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    last_login_at = UtcDateTime(dump_only=True, allow_none=True)
    set_password_token = fields.String(dump_only=True, allow_none=True,
                                       metadata={"description": "Only in the create response: a one-time token for "
                                                                 "/set-password/<token>, valid 7 days, with which the "
                                                                 "person chooses their password."})
    set_password_url = fields.String(dump_only=True, allow_none=True,
                                     metadata={"description": "Only in the create response: the link to send"})

    def _company_ids(self, user):
        return [str(a.company_id) for a in user.client_access]


def _each_once(values) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("A company is listed twice.")


class UserCreateSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    # Each once: the service would store a twice-listed company twice (a 500 on the unique index).
    company_ids = fields.List(fields.UUID(), load_default=list, validate=_each_once,
                              metadata={"uniqueItems": True, "description": "Client viewers: their companies",
                                        "default": []})


class UserUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    company_ids = fields.List(fields.UUID())
    active = fields.Boolean()
    version = fields.Integer()


class UserQuerySchema(PaginationQuerySchema):
    pass
