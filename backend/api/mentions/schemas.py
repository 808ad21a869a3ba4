from marshmallow import ValidationError, fields, validate

from ...models.listening import SENTIMENTS, TAGGED_BY
from ...services.listening.mentions import LIST_LIMIT_MAX, MAX_MENTIONS_PER_PUSH
from ...services.listening.validation import MAX_TEXT, MAX_TOPICS
from ..common import Day, OutSchema, StrictSchema, UtcDateTime

MENTION_EXAMPLE = {
    "source": "brandwatch", "external_id": "bw-918273", "channel": "facebook",
    "published_at": "2024-05-01T10:15:00+02:00", "url": "https://facebook.com/northwind/posts/918273",
    "text": "The recall notice came fast and the shop swapped my kettle the same day. Thank you!",
    "author": {"name": "Anna Berg", "handle": "@annaberg", "followers": 1520},
    "sentiment": "positive", "sentiment_score": 0.8, "language": "en",
    "location": {"country": "SE", "city": "Umeå"}, "topics": ["recall"],
}


class AuthorInSchema(StrictSchema):
    name = fields.String(metadata={"maxLength": 200, "example": "Anna Berg"})
    handle = fields.String(metadata={"maxLength": 200, "example": "@annaberg",
                                     "description": "Their handle on the platform; erasure goes by it"})
    followers = fields.Integer(allow_none=True, metadata={"minimum": 0, "maximum": 2**31 - 1, "example": 1520})


class LocationInSchema(StrictSchema):
    country = fields.String(allow_none=True, metadata={
        "description": "ISO 3166-1 alpha-2 (upper or lower case)", "minLength": 2, "maxLength": 2, "example": "SE"})
    city = fields.String(metadata={"maxLength": 120, "example": "Umeå"})


class MentionInSchema(StrictSchema):
    """One pushed mention (documentation: the service checks them with the same rules and answers
    every error with its index)."""

    source = fields.String(required=True, metadata={
        "description": "The tool that found it; with external_id, what identifies the mention (a re-push updates)",
        "maxLength": 64, "example": "brandwatch"})
    external_id = fields.String(required=True, metadata={"maxLength": 200, "example": "bw-918273"})
    channel = fields.String(required=True, metadata={"description": "A channel key of this company",
                                                     "example": "facebook"})
    published_at = fields.String(required=True, metadata={
        "format": "date-time", "example": "2024-05-01T10:15:00+02:00",
        "description": "ISO 8601 with a UTC offset (Z or ±hh:mm); from 2000-01-01 to 5 minutes from now. "
                       "The mention counts on this moment's day in the company's time zone"})
    sentiment = fields.String(required=True, metadata={"enum": list(SENTIMENTS)})
    sentiment_score = fields.Float(allow_none=True, metadata={"minimum": -1, "maximum": 1, "example": 0.8})
    url = fields.String(metadata={"maxLength": 2000, "description": "http(s) address of the mention"})
    text = fields.String(metadata={"maxLength": MAX_TEXT})
    author = fields.Nested(AuthorInSchema)
    language = fields.String(metadata={"maxLength": 16, "description": "A BCP 47 tag: en, sv, pt-BR",
                                       "example": "en"})
    location = fields.Nested(LocationInSchema)
    topics = fields.List(fields.String(metadata={"maxLength": 80}), metadata={
        "maxItems": MAX_TOPICS, "description": "Topic names; an unknown name becomes a topic without rules. A "
                                               "re-push replaces the pushed topics (rule and manual tags stay)"})
    answered_at = fields.String(allow_none=True, metadata={
        "format": "date-time", "description": "When it was answered (help desks), with an offset; null: not "
                                              "answered; left out, a re-push keeps the answered state (as set "
                                              "with updateMention)"})


class MentionList(fields.List):
    """Documented as a list of MentionInSchema, loaded as is: the service checks every mention
    and answers each error with its index."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Must be a list of mentions.")
        return value


class MentionPushSchema(StrictSchema):
    mentions = MentionList(fields.Nested(MentionInSchema), required=True, metadata={
        "description": f"Up to {MAX_MENTIONS_PER_PUSH:,} mentions per request"})


class MentionPushResultSchema(OutSchema):
    received = fields.Integer(metadata={"minimum": 0})
    created = fields.Integer(metadata={"minimum": 0})
    updated = fields.Integer(metadata={"minimum": 0, "description": "Known (source, external_id) with a change"})
    unchanged = fields.Integer(metadata={"minimum": 0})


class MentionImportResultSchema(MentionPushResultSchema):
    rows = fields.Integer(metadata={"description": "Data rows read from the CSV (header excluded)", "minimum": 0})


class AuthorSchema(OutSchema):
    name = fields.String()
    handle = fields.String()
    followers = fields.Integer(allow_none=True)


class LocationSchema(OutSchema):
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2, upper case"})
    city = fields.String()


class TopicTagSchema(OutSchema):
    id = fields.UUID()
    name = fields.String()
    tagged_by = fields.String(metadata={"enum": list(TAGGED_BY), "description": "rule: a keyword rule of the "
                                        "topic; manual: a person; pushed: the push named it"})


class MentionSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    channel = fields.String(metadata={"description": "The channel key"})
    source = fields.String()
    external_id = fields.String()
    published_at = UtcDateTime(metadata={"description": "In UTC; utc_offset_minutes is the offset it was pushed with"})
    utc_offset_minutes = fields.Integer()
    day = fields.Date(metadata={"description": "The day it counts on (the company's time zone)"})
    url = fields.String()
    text = fields.String()
    author = fields.Nested(AuthorSchema)
    sentiment = fields.String(metadata={"enum": list(SENTIMENTS)})
    sentiment_score = fields.Float(allow_none=True)
    language = fields.String()
    location = fields.Nested(LocationSchema)
    topics = fields.List(fields.Nested(TopicTagSchema))
    answered = fields.Boolean()
    answered_at = UtcDateTime(allow_none=True)
    answered_by = fields.String(metadata={"description": "Who marked it answered (an e-mail or api-key:<name>)"})
    assigned_to = fields.UUID(allow_none=True, metadata={"description": "A staff user's id"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class MentionFilterSchema(StrictSchema):
    channel = fields.String(metadata={"description": "A channel key", "maxLength": 64})
    sentiment = fields.String(validate=validate.OneOf(SENTIMENTS), metadata={"enum": list(SENTIMENTS)})
    topic = fields.String(metadata={"description": "A topic's id or name", "maxLength": 80})
    country = fields.String(metadata={"description": "ISO 3166-1 alpha-2", "maxLength": 2, "example": "SE"})
    answered = fields.Boolean()
    author = fields.String(metadata={"description": "An author's handle", "maxLength": 200})
    from_ = Day(data_key="from", metadata={"description": "First day (the company's time zone)"})
    to = Day(metadata={"description": "Last day (the company's time zone)"})
    q = fields.String(validate=validate.Length(max=5_000), metadata={
        "description": 'Full-text search: words (stemmed where the language allows), "a phrase", -excluded, '
                       "a OR b; anything else is plain text", "example": 'recall -"gift card"'})


class MentionQuerySchema(MentionFilterSchema):
    cursor = fields.String(validate=validate.Length(max=500), metadata={
        "description": "X-Next-Cursor of the previous page, as sent; left out: the first page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=LIST_LIMIT_MAX))


class InboxQuerySchema(StrictSchema):
    cursor = fields.String(validate=validate.Length(max=500), metadata={
        "description": "X-Next-Cursor of the previous page, as sent; left out: the first page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=LIST_LIMIT_MAX))


class MentionUpdateSchema(StrictSchema):
    answered = fields.Boolean(metadata={"description": "true: answered now, by you; false: not answered"})
    assigned_to = fields.UUID(allow_none=True, metadata={"description": "A staff user's id; null: nobody"})
    topics = fields.List(fields.String(metadata={"maxLength": 80}), metadata={
        "maxItems": MAX_TOPICS, "description": "Topic names (unknown ones are created); replaces the manual and "
                                               "pushed tags, rule tags stay"})


class EraseAuthorSchema(StrictSchema):
    handle = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The author's handle (matched without regard to case)", "example": "@annaberg"})


class EraseResultSchema(OutSchema):
    deleted = fields.Integer(metadata={"minimum": 0, "description": "Mentions deleted"})
