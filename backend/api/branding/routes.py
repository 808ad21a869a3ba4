"""The agency's branding: read by anyone of the agency, changed by owners, admins and admin keys."""
from flask import Response
from flask.views import MethodView

from ...headers import PRIVATE_IMMUTABLE
from ...services import branding as svc
from ...services.errors import NotFound
from ..access import requires
from ..common import Blueprint
from .schemas import BrandingSchema, BrandingUpdateSchema, LogoQuerySchema, LogoUploadSchema

blp = Blueprint("branding", __name__, url_prefix="/agency/branding",
                description="The agency's branding: what its clients see on dashboards, reports and e-mails")

# An SVG logo opened on its own runs nothing and loads nothing.
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
IMAGE_CONTENT = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in svc.LOGO_TYPES}


@blp.route("")
class AgencyBranding(MethodView):
    @blp.doc(operationId="getBranding")
    @requires(None)
    @blp.response(200, BrandingSchema)
    def get(self):
        """Read the agency's branding (anyone of the agency)"""
        return svc.get_branding()

    @blp.doc(operationId="updateBranding")
    @requires("admin", svc.BRANDING_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(BrandingUpdateSchema)
    @blp.response(200, BrandingSchema)
    def put(self, data):
        """Replace the agency's branding (owner/admin, agency-wide admin keys); the logo is apart"""
        return svc.update_branding(data)


@blp.route("/logo")
class AgencyLogo(MethodView):
    @blp.doc(operationId="getLogo")
    @requires(None)
    @blp.arguments(LogoQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "The logo image; with v (the fingerprint) it may be cached "
                                               "privately for a year", "content": IMAGE_CONTENT}})
    @blp.alt_response(404, description="The agency has no logo, or v names an older one")
    def get(self, args):
        """Download the agency's logo"""
        content, mime, digest = svc.logo()
        v = args.get("v")
        if v is not None and (len(v) < 16 or not digest.startswith(v)):
            raise NotFound("This is not the agency's current logo.")
        resp = Response(content, mimetype=mime)
        resp.headers["Content-Security-Policy"] = LOGO_CSP
        if v is not None:
            resp.headers["Cache-Control"] = PRIVATE_IMMUTABLE
        return resp

    @blp.doc(operationId="uploadLogo")
    @requires("admin", svc.BRANDING_MANAGERS_ONLY, agency_wide=True)
    @blp.arguments(LogoUploadSchema, location="files")
    @blp.response(200, BrandingSchema)
    def put(self, files):
        """Upload the agency's logo (multipart/form-data, field logo; owner/admin, agency-wide admin keys)"""
        upload = files["logo"]
        content = upload.stream.read(svc.LOGO_MAX_BYTES + 1)
        return svc.set_logo(content, upload.filename or "")
