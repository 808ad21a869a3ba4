from marshmallow import fields

from ...services.channels import PLATFORMS
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

# What the service checks (backend/services/channels.py), documented; the messages are the service's.
KEY_DOC = {"pattern": r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", "maxLength": 64}
TEXT_DOC = {"name": {"maxLength": 200}, "handle": {"maxLength": 200}, "url": {"maxLength": 2000},
            "purpose": {"maxLength": 10_000}}


class ChannelSchema(OutSchema):
    key = fields.String(metadata={"description": "Unique within the company; what metric pushers send"})
    platform = fields.String(metadata={"enum": list(PLATFORMS)})
    name = fields.String()
    handle = fields.String()
    url = fields.String()
    purpose = fields.String(metadata={"description": "The channel's role in the strategy"})
    followers_target = fields.Float(allow_none=True, metadata={"description": "Critical-mass target (optional)"})
    active = fields.Boolean()
    version = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ChannelCreateSchema(StrictSchema):
    key = fields.String(required=True, metadata={
        "description": "Slug: lowercase letters and digits joined by '-' or '_' (e.g. x-support); not 'all'",
        **KEY_DOC})
    platform = fields.String(required=True, metadata={"enum": list(PLATFORMS)})
    name = fields.String(metadata={"description": "Defaults to the key", **TEXT_DOC["name"]})
    handle = fields.String(metadata={**TEXT_DOC["handle"], "default": ""})
    url = fields.String(metadata={**TEXT_DOC["url"], "default": ""})
    purpose = fields.String(metadata={**TEXT_DOC["purpose"], "default": ""})
    followers_target = fields.Float(allow_none=True, metadata={"description": "0 or more; null for none",
                                                               "minimum": 0, "default": None})
    active = fields.Boolean(metadata={"default": True})


class ChannelUpdateSchema(StrictSchema):
    key = fields.String(metadata={"description": "Fixed once created; sending another value is refused"})
    platform = fields.String(metadata={"enum": list(PLATFORMS)})
    name = fields.String(metadata=TEXT_DOC["name"])
    handle = fields.String(metadata=TEXT_DOC["handle"])
    url = fields.String(metadata=TEXT_DOC["url"])
    purpose = fields.String(metadata=TEXT_DOC["purpose"])
    followers_target = fields.Float(allow_none=True, metadata={"minimum": 0})
    active = fields.Boolean()
    version = fields.Integer(metadata={"description": "If given, refused (409) when the channel changed meanwhile"})


class ChannelQuerySchema(PaginationQuerySchema):
    active = fields.Boolean(metadata={"description": "Only active (true) or inactive (false) channels"})


class ChannelDeleteQuerySchema(StrictSchema):
    force = fields.Boolean(load_default=False, metadata={
        "description": "Also delete the channel's metric values (without it, a channel with data answers 409)"})
    version = fields.Integer(metadata={"description": "If given, refused (409) when the channel changed meanwhile"})
