from marshmallow import fields, validate

from ...services.share_links import DEFAULT_EXPIRY_DAYS, KINDS, LABEL_MAX, MAX_EXPIRY_DAYS, PIN_MAX, PIN_MIN
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

STATES = ("active", "expired", "revoked")


class ShareLinkCreateSchema(StrictSchema):
    """A link to one report (``report_id``) or to the live board for a range (``board_from`` to
    ``board_to``)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        "enum": list(KINDS), "description": "report: one report; board: the company's live board for a fixed range"})
    report_id = fields.UUID(metadata={"description": "With kind report: a report of this company"})
    board_from = Day(metadata={"description": "With kind board: the first day shown"})
    board_to = Day(metadata={"description": "With kind board: the last day shown (not before board_from)"})
    expires_in_days = fields.Integer(load_default=DEFAULT_EXPIRY_DAYS, metadata={
        "minimum": 1, "maximum": MAX_EXPIRY_DAYS, "default": DEFAULT_EXPIRY_DAYS,
        "description": f"The link works this many days from now (at most {MAX_EXPIRY_DAYS})"})
    pin = fields.String(metadata={"minLength": PIN_MIN, "maxLength": PIN_MAX, "description":
                                  "Optional: asked for before the page shows; stored as an argon2id hash"})
    label = fields.String(load_default="", metadata={"maxLength": LABEL_MAX, "default": "",
                                                     "description": "A note for the agency, such as who got it"})


class ShareLinkQuerySchema(PaginationQuerySchema):
    pass


class ShareLinkSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    kind = fields.String(metadata={"enum": list(KINDS)})
    report_id = fields.UUID(allow_none=True, metadata={"description": "null for a board link"})
    board_from = fields.Date(allow_none=True, metadata={"description": "null for a report link"})
    board_to = fields.Date(allow_none=True, metadata={"description": "null for a report link"})
    label = fields.String()
    has_pin = fields.Boolean(metadata={"description": "The page asks for a PIN first"})
    state = fields.String(metadata={"enum": list(STATES), "description":
                                    "expired and revoked links answer 404, like unknown ones"})
    expires_at = UtcDateTime()
    revoked_at = UtcDateTime(allow_none=True)
    view_count = fields.Integer(metadata={"minimum": 0, "description": "Times the page was shown"})
    last_viewed_at = UtcDateTime(allow_none=True)
    wrong_pins = fields.Integer(metadata={"minimum": 0, "description": "Wrong PINs entered so far"})
    created_by = fields.String()
    created_at = UtcDateTime()


class ShareLinkCreatedSchema(ShareLinkSchema):
    """The new link with its token: shown in this answer only (the server keeps only its digest)."""

    token = fields.String(metadata={"description": "The secret part of the URL; shown once, never again"})
    url = fields.String(metadata={"description": "The page to send: this server's /s/<token>"})
