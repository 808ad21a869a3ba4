"""The one vocabulary of sub-goals: their statuses and categories, each with a key, a label, a
sentence and a tone. The API (enums), the admin pages, the dashboard and reports read them from
here; the dashboard's theme maps a tone to a colour and nothing more.

Statuses are listed in the order the progress engine decides them (see ``compute_progress``);
:data:`ATTENTION_ORDER` ranks them by how much a goal needs attention, most first.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    key: str
    label: str
    sentence: str
    tone: str


def _terms(*terms: Term) -> dict[str, Term]:
    return {t.key: t for t in terms}


STATUS_TERMS: dict[str, Term] = _terms(
    Term("achieved", "Achieved", "The current value has reached the target.", "blue"),
    Term("missed", "Missed", "The deadline has passed without reaching the target.", "purple"),
    Term("not_started", "Not started", "The start date is still ahead, or there are no figures yet.", "grey"),
    Term("on_track", "On track", "At the recent pace the target is reached by the deadline.", "green"),
    Term("at_risk", "At risk", "At the recent pace the target is reached, but a little late.", "orange"),
    Term("off_track", "Off track", "At the recent pace the target is reached far too late, or never.", "red"),
)
STATUSES: tuple[str, ...] = tuple(STATUS_TERMS)
ATTENTION_ORDER: tuple[str, ...] = ("off_track", "missed", "at_risk", "on_track", "achieved", "not_started")

# One category per kind of sub-goal in the product brief (seeds/001: "delmål").
CATEGORY_TERMS: dict[str, Term] = _terms(
    Term("position_in_field", "Position in the field",
         "Strengthen the company's position in its field, so it is seen as a leading voice.", "indigo"),
    Term("customer_relations", "Customer relations",
         "Build customer relations: be easy to reach and answer questions quickly.", "teal"),
    Term("media_relations", "Media relations",
         "Build relations with the media, so journalists find, follow and quote the company.", "blue"),
    Term("internal_collaboration", "Internal collaboration",
         "Communicate and collaborate internally: staff share news and knowledge.", "cyan"),
    Term("knowledge_base", "Knowledge base",
         "Build a knowledge base of useful content that customers and staff come back to.", "green"),
    Term("test_ideas", "Test ideas and products",
         "Test ideas and products with followers before investing in them.", "orange"),
    Term("search_visibility", "Search visibility",
         "Rank higher in search engines through content and links that people share.", "brown"),
    Term("crisis_dialogue", "Crisis dialogue",
         "Handle crises through open dialogue: answer openly and quickly when something goes wrong.", "red"),
    Term("other", "Other", "Anything else the strategy needs to measure.", "grey"),
)
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_TERMS)
UNKNOWN = Term("unknown", "No data", "Nothing is known about this goal yet.", "grey")


def status_term(key: str | None) -> Term:
    return STATUS_TERMS.get(key or "", UNKNOWN)


def attention_rank(status: str | None) -> int:
    """0 for the status most in need of attention; unknown statuses come last."""
    return ATTENTION_ORDER.index(status) if status in ATTENTION_ORDER else len(ATTENTION_ORDER)
