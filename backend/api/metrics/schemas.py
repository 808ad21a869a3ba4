from marshmallow import ValidationError, fields, validate

from ...bounds import METRIC_VALUE_MAX
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

GRANULARITY = validate.OneOf(("day", "week", "month"))


class PointSchema(StrictSchema):
    """One daily value (documentation of a push's points; they are checked by the service's
    fast path with the same rules)."""

    channel = fields.String(required=True,
                            metadata={"description": "Channel key in this company", "example": "facebook"})
    metric = fields.String(required=True,
                           metadata={"description": "A gauge or flow of the catalog", "example": "followers"})
    date = fields.Date(required=True, metadata={"description": "2000-01-01 to tomorrow", "example": "2024-05-31"})
    value = fields.Float(required=True, metadata={
        "description": f"Finite, at most {METRIC_VALUE_MAX:.0e} in size; >= 0 for built-in metrics", "example": 1234,
        "minimum": -METRIC_VALUE_MAX, "maximum": METRIC_VALUE_MAX})


class PointList(fields.List):
    """Documented as a list of PointSchema, loaded as is: marshmallow per point is too slow for
    10,000 points, so the service validates them in one loop (same rules, indexed errors)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Must be a list of points.")
        return value


class PushSchema(StrictSchema):
    points = PointList(fields.Nested(PointSchema), required=True,
                       metadata={"description": "Up to 10,000 points (and 5 MiB) per request"})


class PushResultSchema(OutSchema):
    SOMETIMES = ("kept_from_mentions",)

    received = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    kept_from_mentions = fields.Integer(metadata={
        "description": "Values of mentions, mentions_positive/neutral/negative or response_time_minutes not "
                       "stored because their channel and day have mention records, which set those figures "
                       "(records win for the days they cover). Present only when some were; "
                       "received = created + updated + unchanged + kept_from_mentions.", "example": 2})


class ImportResultSchema(PushResultSchema):
    rows = fields.Integer(metadata={"description": "Data rows read from the CSV (header excluded)"})


class MetricList(fields.List):
    """``metric=a&metric=b`` or ``metric=a,b``."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        return [part.strip() for item in items if item is not None for part in item.split(",") if part.strip()]


class SeriesQuerySchema(StrictSchema):
    metric = MetricList(fields.String(), required=True,
                        metadata={"description": "Metric key; repeat for several (gauges, flows or derived)"})
    channel = fields.String(metadata={"description": "A channel key, or 'all' for one combined series; "
                                                     "absent: one series per channel"})
    from_ = Day(data_key="from", metadata={"description": "First day (default: a span before 'to')"})
    to = Day(metadata={"description": "Last day (default: the latest data date, or today)"})
    granularity = fields.String(load_default="day", validate=GRANULARITY)


class SummaryQuerySchema(StrictSchema):
    metric = MetricList(fields.String(), metadata={"description": "Limit to these metrics (default: every metric)"})
    channel = fields.String(metadata={"description": "A channel key; absent or 'all': channels combined"})
    from_ = Day(data_key="from", metadata={"description": "First day (default: 30 days before 'to')"})
    to = Day(metadata={"description": "Last day (default: the latest data date, or today)"})
    compare = fields.String(load_default="previous", validate=validate.OneOf(["previous", "year"]), metadata={
        "description": "previous: the period of the same length just before; year: the same days a year "
                       "earlier (a period of at most a year)"})


class SeriesPointSchema(OutSchema):
    date = fields.Date()
    value = fields.Float()


class SeriesSchema(OutSchema):
    channel = fields.String()
    metric = fields.String()
    points = fields.List(fields.Nested(SeriesPointSchema))


class SeriesResultSchema(OutSchema):
    granularity = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    series = fields.List(fields.Nested(SeriesSchema))


class SummaryMetricSchema(OutSchema):
    metric = fields.String()
    value = fields.Float(allow_none=True)
    previous = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    change_percent = fields.Float(allow_none=True)


class SummaryResultSchema(OutSchema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    previous_from = fields.Date(metadata={"description": "First day of the period compared with"})
    previous_to = fields.Date()
    compare = fields.String(metadata={"enum": ["previous", "year"]})
    channel = fields.String()
    metrics = fields.List(fields.Nested(SummaryMetricSchema))


class StoredPointsQuerySchema(StrictSchema):
    """One channel and one stored metric, and a range of days (open where a date is left out;
    neither: the whole series)."""

    channel = fields.String(required=True, metadata={"description": "A channel key of this company (not 'all')",
                                                     "example": "blog"})
    metric = fields.String(required=True, metadata={"description": "A gauge or flow of the catalog (derived "
                                                                   "metrics are not stored)", "example": "followers"})
    from_ = Day(data_key="from", metadata={"description": "The first day; left out: from the first stored day."})
    to = Day(metadata={"description": "The last day; left out: up to the last stored day."})


class StoredPointsListQuerySchema(StoredPointsQuerySchema, PaginationQuerySchema):
    pass


class StoredPointSchema(OutSchema):
    date = fields.Date()
    value = fields.Float()
    updated_at = UtcDateTime(metadata={"description": "When this value was last written"})


class DeleteResultSchema(OutSchema):
    deleted = fields.Integer(metadata={"description": "Points deleted (0 when the range held none)", "minimum": 0})
    channel = fields.String()
    metric = fields.String()
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True,
                        metadata={"description": "As asked; null when not given"})
    to = fields.Date(allow_none=True, metadata={"description": "As asked; null when not given"})
