from marshmallow import fields

from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime


class CampaignSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    name = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    channels = fields.List(fields.String(), metadata={"description": "Keys of the company's channels"})
    budget = fields.Float(allow_none=True)
    notes = fields.String()
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class CampaignCreateSchema(StrictSchema):
    name = fields.String(required=True, metadata={"description": "At most 200 characters", "minLength": 1,
                                                  "maxLength": 200})
    start_date = Day(required=True)
    end_date = Day(required=True, metadata={"description": "On or after start_date"})
    channels = fields.List(fields.String(), metadata={"description": "Keys of the company's channels", "default": []})
    budget = fields.Float(allow_none=True, metadata={"description": "0 or more; null for none", "minimum": 0,
                                                     "default": None})
    notes = fields.String(metadata={"maxLength": 10_000, "default": ""})


class CampaignUpdateSchema(StrictSchema):
    name = fields.String(metadata={"minLength": 1, "maxLength": 200})
    start_date = Day()
    end_date = Day()
    channels = fields.List(fields.String())
    budget = fields.Float(allow_none=True, metadata={"minimum": 0})
    notes = fields.String(metadata={"maxLength": 10_000})
    version = fields.Integer(metadata={"description": "If given, refused (409) when the campaign changed meanwhile"})


class CampaignQuerySchema(PaginationQuerySchema):
    date_from = Day(data_key="from", metadata={"description": "Only campaigns ending on or after this day"})
    date_to = Day(data_key="to", metadata={"description": "Only campaigns starting on or before this day"})


class CampaignDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the campaign changed meanwhile"})
