"""Topics: what a company listens for — a name and keyword rules that tag its mentions."""
from flask.views import MethodView

from ...services.listening import topics as svc
from ..access import requires
from ..common import Blueprint, links
from ..pagination import paginate
from .schemas import TopicCreateSchema, TopicDeleteQuerySchema, TopicQuerySchema, TopicSchema, TopicUpdateSchema

blp = Blueprint("topics", __name__, url_prefix="/companies/<uuid:company_id>/topics",
                description="A company's listening topics: keyword rules that tag its mentions")

EXAMPLE = {"name": "Recall", "keywords": ["recall", "safety notice"]}


def _out(topic):
    out = {"id": topic.id, "company_id": topic.company_id, **svc.topic_fields(topic), "version": topic.version,
           "created_at": topic.created_at, "updated_at": topic.updated_at}
    if hasattr(topic, svc.RETAGGING):
        out[svc.RETAGGING] = getattr(topic, svc.RETAGGING)
    return out


@blp.route("")
class Topics(MethodView):
    @blp.doc(operationId="listTopics")
    @requires("read")
    @blp.arguments(TopicQuerySchema, location="query")
    @blp.response(200, TopicSchema(many=True))
    def get(self, args, company_id):
        """List the company's topics, by name"""
        return [_out(t) for t in paginate(svc.select_topics(company_id), args)]

    @blp.doc(operationId="createTopic")
    @requires("write")
    @blp.arguments(TopicCreateSchema, example=EXAMPLE)
    @blp.response(201, TopicSchema)
    @blp.doc(**links(201, "getTopic", "updateTopic", "deleteTopic",
                      company_id="$request.path.company_id", topic_id="$response.body#/id"))
    def post(self, data, company_id):
        """Add a topic (its rules tag the mentions of the last 90 days, by a job)"""
        return _out(svc.create_topic(company_id, data))


@blp.route("/<uuid:topic_id>")
class TopicItem(MethodView):
    @blp.doc(operationId="getTopic")
    @requires("read")
    @blp.response(200, TopicSchema)
    def get(self, company_id, topic_id):
        """Read a topic"""
        return _out(svc.get_topic(company_id, topic_id))

    @blp.doc(operationId="updateTopic")
    @requires("write")
    @blp.arguments(TopicUpdateSchema, example={"keywords": ["recall", "recalled cars"], "retag_days": 30,
                                               "version": 1})
    @blp.response(200, TopicSchema)
    @blp.alt_response(409, description="The topic was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, topic_id):
        """Rename a topic or change its keyword rules (re-tagging the last 90 days by default)"""
        version = data.pop("version", None)
        return _out(svc.update_topic(company_id, topic_id, data, expected_version=version))

    @blp.doc(operationId="deleteTopic")
    @requires("write")
    @blp.arguments(TopicDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="An alert rule watches the topic, or it was changed meanwhile (a stale "
                                       "version); nothing was deleted")
    def delete(self, args, company_id, topic_id):
        """Delete a topic and its tags (the mentions stay)"""
        svc.delete_topic(company_id, topic_id, expected_version=args.get("version"))
