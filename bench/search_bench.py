"""Full-text search over mentions (issue 18: 10,000 mentions searched in under 50 ms at p95).

The measured company gets ``sizes.search_mentions`` mentions (10,000 in ``make bench``) over its
channels and the last year, and other companies of other agencies ``sizes.search_other_mentions``
more, with the same words — so the index holds every tenant's words and the search must keep to
the company. Texts are generated (deterministic): words drawn from a Zipf-distributed vocabulary
of made-up words, with real words planted at known rates, so each query kind has a known number
of matches. They go in through the ORM in bulk under an explicit ``cross_tenant`` block (set-up,
not measured); the full-text index is kept by the database itself (SQLite: migration 0009's
triggers; PostgreSQL: the generated ``search`` column and its GIN index).

Measured: ``GET …/mentions?q=…&limit=50`` through gunicorn (the first page, newest first, as the
Listening page's search box asks for it), one query of each kind per round, rounds interleaved:

- a word (``delivery``, in about 6 % of mentions),
- a phrase (``"customer service"``; both words also appear apart),
- a stemmed word (``recall``: the texts only say *recalled*, *recalls*, *recalling*),
- a rare word (``zeppelin``: three of the company's mentions, more in other companies'),
- two words (``coffee subscription``: each common, together rare).

The figure is the slowest kind's p95 against the 50 ms target.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
import time
import urllib.parse
from dataclasses import dataclass

from .measure import BenchError, stats_ms

QUERIES = (  # (kind, what a person types)
    ("word", "delivery"),
    ("phrase", '"customer service"'),
    ("stemmed word", "recall"),
    ("rare word", "zeppelin"),
    ("two words", "coffee subscription"),
)
RARE_WORD = "zeppelin"
RARE_IN_COMPANY = 3
# (words planted, share of texts): the query words at known rates; "customer" and "service" also
# apart, so the phrase is not the same as both words.
PLANTED = (
    (("delivery",), 0.06),
    (("customer", "service"), 0.03),
    (("customer",), 0.04),
    (("service",), 0.04),
    (("recalled",), 0.01), (("recalls",), 0.01), (("recalling",), 0.01),
    (("coffee",), 0.08),
    (("subscription",), 0.05),
)
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "du", "gra", "ste", "bri", "fol", "man",
              "tor", "vel", "quin", "sha", "dor")
VOCABULARY_SIZE = 4_000
SENTIMENTS = ("positive", "neutral", "negative")


def vocabulary(size: int = VOCABULARY_SIZE) -> list[str]:
    """Made-up words of 2–4 syllables (none of them a query word), in a fixed order."""
    rng = random.Random("reachboard-bench-vocabulary")
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


@dataclass
class TextMaker:
    """Mention texts: 8–40 words, Zipf-distributed, plus the planted words."""

    seed: str
    words: list[str]

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.words))))

    def text(self, extra: tuple[str, ...] = ()) -> str:
        rng = self.rng
        body = rng.choices(self.words, cum_weights=self.cum_weights, k=rng.randint(8, 40))
        for words, share in PLANTED:
            if rng.random() < share:
                at = rng.randrange(len(body) + 1)
                body[at:at] = list(words)
        for word in extra:
            body.insert(rng.randrange(len(body) + 1), word)
        sentence = " ".join(body)
        return sentence[0].upper() + sentence[1:] + "."


def mention_texts(count: int, seed: str, rare: int = 0) -> list[str]:
    """``count`` texts, ``rare`` of them (spread evenly) with the rare word."""
    maker = TextMaker(seed, vocabulary())
    rare_at = {round((i + 0.5) * count / rare) for i in range(rare)} if rare else set()
    return [maker.text((RARE_WORD,) if i in rare_at else ()) for i in range(count)]


def search_path(company_id, q: str, limit: int = 50) -> str:
    return f"/api/v1/companies/{company_id}/mentions?" + urllib.parse.urlencode({"q": q, "limit": limit})


def _rows(agency_id, company_id, channel_ids: list, texts: list[str], last_day: dt.date, prefix: str) -> list[dict]:
    from backend.models import new_id

    rng = random.Random(f"reachboard-bench-mentions|{prefix}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    end = dt.datetime.combine(last_day, dt.time(23, 0))
    rows = []
    for i, text in enumerate(texts):
        published = end - dt.timedelta(seconds=rng.randrange(365 * 86_400))
        handle = f"@{prefix}author{rng.randrange(2_000)}"
        rows.append({
            "id": new_id(), "agency_id": agency_id, "company_id": company_id,
            "channel_id": channel_ids[i % len(channel_ids)], "source": "bench", "external_id": f"{prefix}-{i}",
            "published_at": published, "utc_offset_minutes": 0, "day": published.date(),
            "url": "", "text": text, "author_name": handle[1:].title(), "author_handle": handle,
            "author_followers": rng.randrange(10, 50_000), "sentiment": rng.choice(SENTIMENTS),
            "sentiment_score": None, "language": "en", "country": "SE", "city": "", "answered_at": None,
            "answered_by": "", "assigned_to_id": None, "created_at": now, "updated_at": now,
        })
    return rows


def load(app, main, sizes, last_day: dt.date, progress) -> dict:
    """The company's mentions and the other companies' (bulk ORM inserts, across tenants)."""
    from sqlalchemy import insert

    from backend.extensions import db
    from backend.models import Mention
    from backend.tenancy import cross_tenant

    company = _rows(main.agency_id, main.company_id, list(main.channel_ids.values()),
                    mention_texts(sizes.search_mentions, "reachboard-bench-company", RARE_IN_COMPANY), last_day, "c")
    others = [c for c in main.other_companies if c[2]][: max(1, sizes.search_other_companies)]
    per_other = sizes.search_other_mentions // max(1, len(others))
    other_rows: list[dict] = []
    for n, (agency_id, company_id, channel_ids) in enumerate(others):
        texts = mention_texts(per_other, f"reachboard-bench-other-{n}", rare=1)
        other_rows += _rows(agency_id, company_id, channel_ids, texts, last_day, f"o{n}")
    with app.app_context(), cross_tenant("benchmark set-up: mentions of many companies"):
        for chunk in range(0, len(other_rows), 5_000):  # the others first: the company's are the newest rows
            db.session.execute(insert(Mention), other_rows[chunk:chunk + 5_000])
        for chunk in range(0, len(company), 5_000):
            db.session.execute(insert(Mention), company[chunk:chunk + 5_000])
        db.session.commit()
    progress.say(f"  {len(company):,} mentions of the company, {len(other_rows):,} of {len(others)} others")
    return {"mentions": len(company), "other_mentions": len(other_rows), "other_companies": len(others)}


def measure(client, main, sizes, progress) -> dict:
    """p50/p95 of each query kind through the API; the matches on the first page (and whether
    there are more) of each, from its first answer."""
    import json

    out: dict = {"queries": {}}
    paths = {kind: search_path(main.company_id, q) for kind, q in QUERIES}
    for kind, q in QUERIES:
        status, body = client.request("GET", paths[kind])
        if status != 200:
            raise BenchError(f"GET {paths[kind]} answered {status}: {body[:300].decode(errors='replace')}")
        answer = json.loads(body)
        items = answer if isinstance(answer, list) else answer.get("items", answer.get("mentions", []))
        out["queries"][kind] = {"q": q, "first_page": len(items)}
    for _ in range(sizes.warmup):
        for path in paths.values():
            client.request("GET", path)
    samples: dict[str, list[float]] = {kind: [] for kind in paths}
    counter = progress.counter("search rounds", sizes.search_iterations)
    for _ in range(sizes.search_iterations):
        for kind, path in paths.items():
            t0 = time.perf_counter()
            status, _body = client.request("GET", path)
            took = time.perf_counter() - t0
            if status != 200:
                raise BenchError(f"GET {path} answered {status}")
            samples[kind].append(took)
        counter.add()
    for kind in paths:
        out["queries"][kind].update(stats_ms(samples[kind]))
    slowest = max(paths, key=lambda k: out["queries"][k]["p95_ms"])
    out.update(slowest=slowest, p95_ms=out["queries"][slowest]["p95_ms"], p50_ms=out["queries"][slowest]["p50_ms"])
    return out


def figure(result: dict, target_ms: float) -> dict:
    """The search figure of one database's run (``pass: None`` with a note when not measured)."""
    search = result.get("search") or {}
    value = search.get("p95_ms")
    mentions = search.get("mentions")
    label = f"search, {mentions:,} mentions, slowest query p95" if mentions else "search, slowest query p95"
    return {
        "id": "search", "label": label, "unit": "ms", "value": value, "baseline": None, "ratio": None,
        "value_text": (f"{search['p50_ms']:.1f} / {value:.1f} ms ({search['slowest']})"
                       if value is not None else None),
        "baseline_text": "—", "ratio_text": "—", "target": f"p95 ≤ {target_ms:.0f} ms",
        "pass": None if value is None else value <= target_ms, "note": search.get("error"),
    }
