"""One goal vocabulary: every status and category has a label, a sentence and a colour, and every
place that shows goals reads it (missed goals included)."""
from __future__ import annotations

import pytest

from backend.services import goal_terms

pytestmark = pytest.mark.no_db


def test_every_status_and_category_has_a_label_a_sentence_and_a_colour():
    from dashboard import theme

    terms = list(goal_terms.STATUS_TERMS.values()) + list(goal_terms.CATEGORY_TERMS.values())
    for term in terms:
        assert term.label and term.sentence.endswith("."), term
        assert term.tone in theme.TONE_COLOURS, term
    colours = {theme.status_colour(s) for s in goal_terms.STATUSES}
    assert len(colours) == len(goal_terms.STATUSES), "each status has a colour of its own"
    assert theme.status_colour("missed") != theme.status_colour("not_started")
    assert theme.status_label("missed") == "Missed"


def test_the_vocabulary_is_the_one_the_api_the_engine_and_the_admin_use():
    from backend.admin.goals import CATEGORY_LABELS, STATUS_LABELS
    from backend.services import goals, progress

    assert progress.STATUSES == goal_terms.STATUSES
    assert goals.CATEGORIES == goal_terms.CATEGORIES
    assert set(STATUS_LABELS) == set(goal_terms.STATUSES)
    assert set(CATEGORY_LABELS) == set(goal_terms.CATEGORIES)
    assert sorted(goal_terms.ATTENTION_ORDER) == sorted(goal_terms.STATUSES)


def test_missed_goals_take_part_in_what_needs_attention():
    ranked = sorted(goal_terms.STATUSES, key=goal_terms.attention_rank)
    assert ranked[:3] == ["off_track", "missed", "at_risk"]
    assert goal_terms.attention_rank("missed") < goal_terms.attention_rank("on_track")
    assert goal_terms.attention_rank(None) == len(goal_terms.STATUSES)


def test_the_portfolio_has_a_column_for_every_status():
    from dashboard.pages.portfolio import column_defs

    goals = next(c for c in column_defs() if c.get("headerName") == "Goals")
    assert [c["field"] for c in goals["children"]] == list(goal_terms.ATTENTION_ORDER)
    # (headers carry soft hyphens for narrow columns: backend/i18n.py hyphenate)
    assert {c["headerName"].replace("\u00ad", "") for c in goals["children"]} >= {"Missed", "Not started"}
