from marshmallow import fields

from ..common import OutSchema, StrictSchema


class MetricDefinitionSchema(OutSchema):
    key = fields.String()
    label = fields.String()
    unit = fields.String()
    kind = fields.String(metadata={"enum": ["gauge", "flow", "derived"],
                                   "description": "gauge: a level (followers); flow: a count per day; "
                                                  "derived: computed from others"})
    better = fields.String(metadata={"enum": ["higher", "lower"]})
    builtin = fields.Boolean()
    inputs = fields.List(fields.String(), metadata={"description": "Derived metrics: what they are computed from"})
    description = fields.String()
    aggregations = fields.List(fields.String(), metadata={
        "description": "How a goal may measure it: latest (levels and ratios) or total (amounts per day)"})


class MetricDefinitionCreateSchema(StrictSchema):
    key = fields.String(required=True, metadata={
        "description": "Lowercase letters, digits and underscores, starting with a letter; must not be a built-in key",
        "pattern": r"^[a-z][a-z0-9_]{0,63}$"})
    label = fields.String(metadata={"maxLength": 200, "description": "Defaults to the key"})
    unit = fields.String(metadata={"maxLength": 32, "default": ""})
    kind = fields.String(required=True, metadata={"enum": ["gauge", "flow"]})
    better = fields.String(metadata={"enum": ["higher", "lower"], "default": "higher"})
