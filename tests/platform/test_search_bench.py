"""The search benchmark's pure parts (bench/search_bench.py): the generated texts hold each
query's words at the rates the measurement relies on, and the figure judges against 50 ms.
The measurement itself runs in ``make bench`` (and, on tiny data, tests/platform/test_bench_smoke.py)."""
from __future__ import annotations

import re

import pytest

from bench.config import TARGETS, Sizes
from bench.search_bench import QUERIES, RARE_WORD, figure, mention_texts, search_path, vocabulary

pytestmark = pytest.mark.no_db
WORDS = re.compile(r"\w+")


def test_the_made_up_vocabulary_holds_no_query_word():
    words = set(vocabulary())
    assert len(words) == 4_000
    assert not words & {"delivery", "customer", "service", "recall", "recalled", "recalls", "recalling",
                        "coffee", "subscription", RARE_WORD}


def test_texts_hold_each_query_kind_at_known_rates():
    texts = mention_texts(10_000, "test", rare=3)
    assert texts == mention_texts(10_000, "test", rare=3)  # deterministic
    tokens = [WORDS.findall(t.lower()) for t in texts]
    share = {w: sum(w in t for t in tokens) / len(texts) for w in ("delivery", "coffee", "subscription")}
    assert 0.05 < share["delivery"] < 0.07 and 0.07 < share["coffee"] < 0.09
    assert sum(RARE_WORD in t for t in tokens) == 3
    # Stemming is what finds these: the texts never say "recall" itself.
    assert not any("recall" in t for t in tokens)
    assert sum(bool({"recalled", "recalls", "recalling"} & set(t)) for t in tokens) > 200
    phrase = sum(" customer service " in f" {' '.join(t)} " for t in tokens)
    both_apart = sum("customer" in t and "service" in t for t in tokens)
    assert 200 < phrase < both_apart
    assert 10 < sum("coffee" in t and "subscription" in t for t in tokens) < 100
    assert all(8 <= len(t) <= 60 for t in tokens)


def test_the_search_path_encodes_any_query():
    path = search_path("c1", '"customer service" -x&y')
    assert path == "/api/v1/companies/c1/mentions?q=%22customer+service%22+-x%26y&limit=50"
    assert [k for k, _ in QUERIES] == ["word", "phrase", "stemmed word", "rare word", "two words"]


def test_the_figure_judges_the_slowest_query_against_50_ms():
    assert TARGETS["search_p95_ms"] == 50.0 and Sizes.full().search_mentions == 10_000
    ok = figure({"search": {"mentions": 10_000, "p50_ms": 4.0, "p95_ms": 12.5, "slowest": "phrase"}}, 50.0)
    assert ok["pass"] is True and ok["value_text"] == "4.0 / 12.5 ms (phrase)"
    assert ok["label"] == "search, 10,000 mentions, slowest query p95"
    slow = {"search": {"mentions": 10_000, "p50_ms": 40, "p95_ms": 51, "slowest": "word"}}
    assert figure(slow, 50.0)["pass"] is False
    missing = figure({"search": {"error": "GET answered 500"}}, 50.0)
    assert missing["pass"] is None and missing["note"] == "GET answered 500"
