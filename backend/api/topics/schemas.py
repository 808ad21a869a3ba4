from marshmallow import fields

from ...services.listening.topics import KEYWORD_LIMIT, MAX_KEYWORDS, NAME_LIMIT, RETAG_DAYS_RANGE
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

KEYWORDS = (f"Keyword rules: up to {MAX_KEYWORDS} words or phrases of 1–{KEYWORD_LIMIT} characters, each with at "
            "least one letter or digit. A mention whose text (or author) holds any of them is tagged with the "
            "topic; stemmed through the full-text engine, so 'recall' also tags 'recalled' and 'recalls'; a "
            "phrase matches its words in order; punctuation is plain text. Duplicates (ignoring case) are dropped")
RETAG = (f"Re-tag the company's mentions of the last this many days ({RETAG_DAYS_RANGE[0]}–{RETAG_DAYS_RANGE[1]}) "
         "with the topic's rules, as a job on the worker. Default: 90 when the keywords are set or changed, "
         "else none; 0: none (older mentions keep their tags)")
NAME = f"1–{NAME_LIMIT} characters, unique in the company (ignoring case)"
EXAMPLE_KEYWORDS = ["recall", "safety notice", "refund"]


def _keywords(**metadata):
    return fields.List(fields.String(metadata={"minLength": 1, "maxLength": KEYWORD_LIMIT}),
                       metadata={"maxItems": MAX_KEYWORDS, "description": KEYWORDS, "example": EXAMPLE_KEYWORDS,
                                 **metadata})


def _retag_days():
    return fields.Integer(allow_none=True, metadata={"minimum": RETAG_DAYS_RANGE[0], "maximum": RETAG_DAYS_RANGE[1],
                                                     "description": RETAG, "example": 30})


class TopicSchema(OutSchema):
    SOMETIMES = ("retagging_days",)

    id = fields.UUID()
    company_id = fields.UUID()
    name = fields.String(metadata={"example": "Recall"})
    keywords = fields.List(fields.String(), metadata={"description": "The keyword rules", "example": EXAMPLE_KEYWORDS})
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    retagging_days = fields.Integer(allow_none=True, metadata={
        "description": "Only in the answer to a create or change: the days of mentions a re-tag job was asked for "
                       "(null: none)"})


class TopicCreateSchema(StrictSchema):
    name = fields.String(required=True, metadata={"description": NAME, "minLength": 1, "maxLength": NAME_LIMIT,
                                                  "example": "Recall"})
    keywords = _keywords(default=[])
    retag_days = _retag_days()


class TopicUpdateSchema(StrictSchema):
    name = fields.String(metadata={"description": NAME, "minLength": 1, "maxLength": NAME_LIMIT})
    keywords = _keywords()
    retag_days = _retag_days()
    version = fields.Integer(metadata={"description": "If given, refused (409) when the topic changed meanwhile"})


class TopicQuerySchema(PaginationQuerySchema):
    pass


class TopicDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the topic changed meanwhile"})
