"""The one vocabulary of sub-goals: their statuses and categories, each with a key, a label, a
sentence and a tone. The API (enums), the admin pages, the dashboard and reports read them from
here; the dashboard's theme maps a tone to a colour and nothing more.

Labels and sentences are English (the API's words) that remember their catalog entry
(``backend.i18n.say``): a page shows them in the reader's language with ``translate``.

Statuses are listed in the order the progress engine decides them (see ``compute_progress``);
:data:`ATTENTION_ORDER` ranks them by how much a goal needs attention, most first.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import say


@dataclass(frozen=True)
class Term:
    key: str
    label: str
    sentence: str
    tone: str


def _terms(*terms: Term) -> dict[str, Term]:
    return {t.key: t for t in terms}


STATUS_TERMS: dict[str, Term] = _terms(
    Term("achieved", say("Achieved"), say("The current value has reached the target."), "blue"),
    Term("missed", say("Missed"), say("The deadline has passed without reaching the target."), "purple"),
    Term("not_started", say("Not started"), say("The start date is still ahead, or there are no figures yet."), "grey"),
    Term("on_track", say("On track"), say("At the recent pace the target is reached by the deadline."), "green"),
    Term("at_risk", say("At risk"), say("At the recent pace the target is reached, but a little late."), "orange"),
    Term("off_track", say("Off track"), say("At the recent pace the target is reached far too late, or never."), "red"),
)
STATUSES: tuple[str, ...] = tuple(STATUS_TERMS)
ATTENTION_ORDER: tuple[str, ...] = ("off_track", "missed", "at_risk", "on_track", "achieved", "not_started")

# One category per kind of sub-goal in the product brief (seeds/001: "delmål").
CATEGORY_TERMS: dict[str, Term] = _terms(
    Term("position_in_field", say("Position in the field"),
         say("Strengthen the company's position in its field, so it is seen as a leading voice."), "indigo"),
    Term("customer_relations", say("Customer relations"),
         say("Build customer relations: be easy to reach and answer questions quickly."), "teal"),
    Term("media_relations", say("Media relations"),
         say("Build relations with the media, so journalists find, follow and quote the company."), "blue"),
    Term("internal_collaboration", say("Internal collaboration"),
         say("Communicate and collaborate internally: staff share news and knowledge."), "cyan"),
    Term("knowledge_base", say("Knowledge base"),
         say("Build a knowledge base of useful content that customers and staff come back to."), "green"),
    Term("test_ideas", say("Test ideas and products"),
         say("Test ideas and products with followers before investing in them."), "orange"),
    Term("search_visibility", say("Search visibility"),
         say("Rank higher in search engines through content and links that people share."), "brown"),
    Term("crisis_dialogue", say("Crisis dialogue"),
         say("Handle crises through open dialogue: answer openly and quickly when something goes wrong."), "red"),
    Term("other", say("Other"), say("Anything else the strategy needs to measure."), "grey"),
)
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_TERMS)
UNKNOWN = Term("unknown", say("No data"), say("Nothing is known about this goal yet."), "grey")


def status_term(key: str | None) -> Term:
    return STATUS_TERMS.get(key or "", UNKNOWN)


def attention_rank(status: str | None) -> int:
    """0 for the status most in need of attention; unknown statuses come last."""
    return ATTENTION_ORDER.index(status) if status in ATTENTION_ORDER else len(ATTENTION_ORDER)
