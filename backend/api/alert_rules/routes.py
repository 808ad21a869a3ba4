"""Alert rules: what the agency is told about a company — goal statuses, stale data, thresholds, spikes."""
from flask.views import MethodView

from ...services import alert_rules as svc
from ..access import requires
from ..common import Blueprint, links
from ..idempotency import HEADER, idempotent
from ..pagination import paginate
from .schemas import (
    AlertRuleCreateSchema,
    AlertRuleDeleteQuerySchema,
    AlertRuleQuerySchema,
    AlertRuleSchema,
    AlertRuleUpdateSchema,
)

blp = Blueprint("alert_rules", __name__, url_prefix="/companies/<uuid:company_id>/alert-rules",
                description="What the agency is alerted about for a company: goal statuses, stale data, "
                            "thresholds and spikes")

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Replays within 24 h return the first response without adding another rule; the same key "
                   "with a different body answers 422; while the first is still running, 409.",
}]}


def _out(rule):
    return {"id": rule.id, "company_id": rule.company_id, **svc.rule_fields(rule), "description": svc.describe(rule),
            "version": rule.version, "created_by": rule.created_by, "created_at": rule.created_at,
            "updated_at": rule.updated_at}


@blp.route("")
class AlertRules(MethodView):
    @blp.doc(operationId="listAlertRules")
    @requires("read", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(AlertRuleQuerySchema, location="query")
    @blp.response(200, AlertRuleSchema(many=True))
    def get(self, args, company_id):
        """List the company's alert rules, by kind and name"""
        return [_out(r) for r in paginate(svc.select_rules(company_id), args)]

    @blp.doc(operationId="createAlertRule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(AlertRuleCreateSchema)
    @blp.response(201, AlertRuleSchema)
    @blp.doc(**links(201, "getAlertRule", "updateAlertRule", "deleteAlertRule",
                      company_id="$request.path.company_id", rule_id="$response.body#/id"))
    def post(self, data, company_id):
        """Add an alert rule"""
        return _out(svc.create_rule(company_id, data))


@blp.route("/<uuid:rule_id>")
class AlertRuleItem(MethodView):
    @blp.doc(operationId="getAlertRule")
    @requires("read", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.response(200, AlertRuleSchema)
    def get(self, company_id, rule_id):
        """Read an alert rule"""
        return _out(svc.get_rule(company_id, rule_id))

    @blp.doc(operationId="updateAlertRule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(AlertRuleUpdateSchema)
    @blp.response(200, AlertRuleSchema)
    @blp.alt_response(409, description="The rule was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, rule_id):
        """Change an alert rule (pause it with active: false)"""
        version = data.pop("version", None)
        return _out(svc.update_rule(company_id, rule_id, data, expected_version=version))

    @blp.doc(operationId="deleteAlertRule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(AlertRuleDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The rule was changed meanwhile (a stale version); nothing was saved")
    def delete(self, args, company_id, rule_id):
        """Delete an alert rule and the alerts it raised"""
        svc.delete_rule(company_id, rule_id, expected_version=args.get("version"))
