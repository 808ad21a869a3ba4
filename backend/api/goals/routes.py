"""Sub-goals of a company's strategy, each with one KPI and its progress."""
from flask.views import MethodView

from ...services import goals as svc
from ...services import progress
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import (
    AsOfQuerySchema,
    GoalCreateSchema,
    GoalDeleteQuerySchema,
    GoalQuerySchema,
    GoalSchema,
    GoalUpdateSchema,
)

blp = Blueprint("goals", __name__, url_prefix="/companies/<uuid:company_id>/goals",
                description="Sub-goals with a measurable KPI, returned with their progress")


def _out(goal, prog):
    return {"id": goal.id, "company_id": goal.company_id, **svc.goal_fields(goal), "progress": prog,
            "version": goal.version, "created_at": goal.created_at, "updated_at": goal.updated_at}


def _with_progress(goal, as_of=None):
    return _out(goal, progress.goal_progress(goal, as_of))


@blp.route("")
class Goals(MethodView):
    @blp.doc(operationId="listGoals")
    @requires("read")
    @blp.arguments(GoalQuerySchema, location="query")
    @blp.response(200, GoalSchema(many=True))
    def get(self, args, company_id):
        """List the company's goals with their progress (soonest deadline first)"""
        goals = paginate(svc.list_goals(company_id, category=args.get("category")), args)
        return [_out(g, p) for g, p in progress.goals_progress(goals, args.get("as_of"))]

    @blp.doc(operationId="createGoal")
    @requires("write")
    @blp.arguments(GoalCreateSchema)
    @blp.response(201, GoalSchema)
    @blp.doc(**links(201, "getGoal", "updateGoal", "deleteGoal",
                      company_id="$request.path.company_id", goal_id="$response.body#/id"))
    def post(self, data, company_id):
        """Add a sub-goal with its KPI"""
        return _with_progress(svc.create_goal(company_id, data))


@blp.route("/<uuid:goal_id>")
class GoalItem(MethodView):
    @blp.doc(operationId="getGoal")
    @requires("read")
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, GoalSchema)
    def get(self, args, company_id, goal_id):
        """Read a goal with its progress"""
        return _with_progress(svc.get_goal(company_id, goal_id), args.get("as_of"))

    @blp.doc(operationId="updateGoal")
    @requires("write")
    @blp.arguments(GoalUpdateSchema)
    @blp.response(200, GoalSchema)
    @blp.alt_response(409, description="The goal was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, goal_id):
        """Change a goal; KPI fields are changed one by one"""
        version = data.pop("version", None)
        return _with_progress(svc.update_goal(company_id, goal_id, data, expected_version=version))

    @blp.doc(operationId="deleteGoal")
    @requires("write")
    @blp.arguments(GoalDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The goal was changed meanwhile (a stale version); nothing was saved")
    def delete(self, args, company_id, goal_id):
        """Delete a goal"""
        svc.delete_goal(company_id, goal_id, expected_version=args.get("version"))
