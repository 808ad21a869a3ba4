"""Who am I: the principal of this request."""
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import select

from ...extensions import db
from ...models import Agency, Company
from ...tenancy import current_principal
from ..common import Blueprint, OutSchema

blp = Blueprint("me", __name__, url_prefix="/me", description="The authenticated principal")


class CompanyRefSchema(OutSchema):
    id = fields.UUID()
    name = fields.String()


class AgencyRefSchema(OutSchema):
    id = fields.UUID()
    name = fields.String()


class MeSchema(OutSchema):
    kind = fields.String(metadata={"description": "user or api_key", "enum": ["user", "api_key"]})
    agency = fields.Nested(AgencyRefSchema)
    role = fields.String(allow_none=True)
    scopes = fields.List(fields.String())
    email = fields.String(allow_none=True)
    api_key_id = fields.UUID(allow_none=True)
    companies = fields.List(fields.Nested(CompanyRefSchema))


@blp.route("")
class Me(MethodView):
    @blp.doc(operationId="getMe")
    @blp.response(200, MeSchema)
    def get(self):
        """Describe the caller: agency, role or scopes, reachable companies"""
        p = current_principal()
        agency = db.session.get_one(Agency, p.agency_id)
        companies = db.session.scalars(select(Company).order_by(Company.name)).all()
        return {
            "kind": p.kind,
            "agency": {"id": str(agency.id), "name": agency.name},
            "role": p.role,
            "scopes": list(p.scopes) if p.kind == "api_key" else [],
            "email": p.label if p.kind == "user" else None,
            "api_key_id": p.api_key_id,
            "companies": companies,
        }
