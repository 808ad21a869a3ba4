from flask_smorest.fields import Upload
from marshmallow import fields, validate

from ...services.branding import COLOR_RE, TEXT_FIELDS
from ..common import OutSchema, StrictSchema

COLOR_MESSAGE = "Give the colour as #RRGGBB, such as #1A73E8 (or an empty string for the default)."


class BrandingSchema(OutSchema):
    display_name = fields.String(metadata={
        "description": "The name clients see; the agency's own name unless one is set", "example": "Northwind Social"})
    primary_color = fields.String(metadata={
        "description": "#RRGGBB, or an empty string for Reachboard's default", "example": "#1A73E8"})
    email_sender_name = fields.String(metadata={
        "description": "The sender name on e-mails to clients (empty: the display name)",
        "example": "Northwind reports"})
    footer = fields.String(metadata={"description": "A line at the foot of reports and e-mails",
                                     "example": "Northwind Social · Storgatan 1, Umeå"})
    logo_type = fields.String(metadata={"description": "image/png, image/jpeg, image/svg+xml, or empty without a logo",
                                        "example": "image/png"})
    logo_url = fields.String(allow_none=True, metadata={
        "description": "The logo's URL, fingerprinted by its content (null without a logo)",
        "example": "/api/v1/agency/branding/logo?v=3f9a1c0e5b7d2a64"})


class BrandingUpdateSchema(StrictSchema):
    """The branding as a whole: a field left out returns to its default."""

    display_name = fields.String(load_default="", validate=validate.Length(max=TEXT_FIELDS["display_name"]),
                                 metadata={"example": "Northwind Social"})
    primary_color = fields.String(load_default="", validate=validate.Regexp(r"^$|" + COLOR_RE.pattern,
                                                                           error=COLOR_MESSAGE),
                                  metadata={"example": "#1A73E8"})
    email_sender_name = fields.String(load_default="",
                                      validate=validate.Length(max=TEXT_FIELDS["email_sender_name"]),
                                      metadata={"example": "Northwind reports"})
    footer = fields.String(load_default="", validate=validate.Length(max=TEXT_FIELDS["footer"]),
                           metadata={"example": "Northwind Social · Storgatan 1, Umeå"})


class LogoUploadSchema(StrictSchema):
    logo = Upload(required=True, metadata={
        "description": "PNG, JPEG or SVG, at most 1 MB; the type is judged by the content. An SVG with "
                       "scripts, event handlers, styles, embedded images or references outside the file "
                       "is refused."})


class LogoQuerySchema(StrictSchema):
    v = fields.String(validate=validate.Length(max=64), metadata={
        "description": "The fingerprint from logo_url; an outdated one answers 404"})
