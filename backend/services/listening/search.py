"""Full-text search over mentions, on both engines, from any string a person types.

- SQLite: the FTS5 table ``mention_fts`` (migration 0009: Porter stemming, diacritics folded),
  keyed by ``mention.seq``.
- PostgreSQL: the generated ``mention.search`` tsvector (stemmed in the mention's language where
  PostgreSQL has a dictionary) with its GIN index.

A query is parsed here, never handed to the engine as syntax: words, "quoted phrases", a leading
``-`` to exclude a word or phrase, and ``OR`` between two terms. Everything else (FTS5 operators,
brackets, stars, colons, quotes left open) is plain text. A query with no word left matches
nothing. So any string is a valid search and never an engine error.

:func:`text_condition` gives a boolean SQL condition on ``Mention`` for a search box query;
:func:`keyword_condition` the same for one topic keyword rule (a word or a phrase, stemmed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)

from ...extensions import db
from ...models import Mention

MAX_QUERY_LENGTH = 500
MAX_TERMS = 16
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# PostgreSQL's text search configurations tried for a query: the languages the index stems in
# (migration 0009's PG_CONFIG) and 'simple' for the unstemmed words (authors, Polish).
PG_CONFIGS = ("simple", "english", "swedish", "norwegian", "danish", "german", "finnish", "french", "spanish",
              "dutch")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase's words in order
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """Disjunction of conjunctions: ``groups`` are OR-ed; each group's terms are AND-ed."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def empty(self) -> bool:
        return not any(any(not t.negated for t in g) for g in self.groups)


def parse(q: str) -> Query:
    """The user's query as terms: words and phrases, ``-`` excludes, ``OR`` (upper case) between
    terms splits the query into alternatives. Punctuation inside words splits them as the index
    does (``e-mail`` is the phrase "e mail")."""
    groups: list[list[Term]] = [[]]
    count = 0
    for m in _TOKEN.finditer((q or "")[:MAX_QUERY_LENGTH]):
        negated = bool(m.group(1))
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        if m.group(3) == "OR":
            if groups[-1]:
                groups.append([])
            continue
        if m.group(3) is not None and raw.startswith("-") and len(raw) > 1:
            negated, raw = True, raw[1:]
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if not words or count >= MAX_TERMS:
            continue
        groups[-1].append(Term(words, negated))
        count += 1
    kept = tuple(tuple(g) for g in groups if g and any(not t.negated for t in g))
    return Query(kept)


def _fts5_term(term: Term) -> str:
    # Every word double-quoted: FTS5 reads it as a string, never as an operator or column filter.
    return '"' + " ".join(w.replace('"', '""') for w in term.words) + '"'


def fts5_expression(query: Query) -> str | None:
    """The query in FTS5's syntax, built from quoted strings only (None when it matches nothing)."""
    if query.empty:
        return None
    alternatives = []
    for group in query.groups:
        positive = [_fts5_term(t) for t in group if not t.negated]
        negative = [_fts5_term(t) for t in group if t.negated]
        expr = " AND ".join(positive)
        if negative:
            expr = f"({expr}) NOT ({' OR '.join(negative)})"
        alternatives.append(f"({expr})")
    return " OR ".join(alternatives)


def _pg_tsquery(term: Term, config: str) -> ColumnElement[Any]:
    return func.phraseto_tsquery(literal_column(f"'{config}'::regconfig"), literal(" ".join(term.words)))


def _pg_term_any(term: Term, text_only: bool = False) -> ColumnElement[bool]:
    """The term in any of the configurations (a Swedish mention was stemmed as Swedish): one
    tsquery, the configurations' OR-ed (``||``), so the GIN index is searched once."""
    query = _pg_tsquery(term, PG_CONFIGS[0])
    for config in PG_CONFIGS[1:]:
        query = query.op("||")(_pg_tsquery(term, config))
    vector: ColumnElement[Any] = literal_column("mention.search")
    if text_only:  # the text's lexemes carry weight A, the author's B (migration 0009)
        vector = func.ts_filter(vector, literal_column("'{a}'::\"char\"[]"))
    return vector.op("@@")(query)


def _pg_condition(query: Query) -> ColumnElement[bool]:
    alternatives = []
    for group in query.groups:
        parts = [_pg_term_any(t) for t in group if not t.negated]
        parts += [not_(_pg_term_any(t)) for t in group if t.negated]
        alternatives.append(and_(*parts))
    return or_(*alternatives)


def _sqlite_condition(expression: str) -> ColumnElement[bool]:
    # A unique parameter: several conditions in one statement (a topic's keywords OR-ed) each keep
    # their own expression (with a plain one, the last value bound would serve them all).
    param = bindparam("fts_expression", expression, type_=String(), unique=True)
    return Mention.seq.in_(select(literal_column("rowid")).select_from(text("mention_fts")).where(
        text("mention_fts MATCH :fts_expression").bindparams(param)))


def text_condition(q: str) -> ColumnElement[bool]:
    """A condition on Mention rows matching the search box query ``q`` (false when it has no word)."""
    query = parse(q)
    if query.empty:
        return false()
    if db.session.get_bind().dialect.name == "sqlite":
        expression = fts5_expression(query)
        return _sqlite_condition(expression) if expression else false()
    return _pg_condition(query)


def keyword_condition(keyword: str) -> ColumnElement[bool]:
    """A condition on Mention rows whose text holds the keyword rule ``keyword`` (a word or a
    phrase; stemmed, so "recall" matches "recalled"; any punctuation is plain text). The author's
    name and handle are not looked at: a rule "recall" does not tag whatever @recall_watch says."""
    words = tuple(w.lower() for w in _WORD.findall(keyword or ""))
    if not words:
        return false()
    term = Term(words)
    if db.session.get_bind().dialect.name == "sqlite":
        return _sqlite_condition("text : " + _fts5_term(term))  # FTS5's column filter
    return _pg_term_any(term, text_only=True)


__all__ = ["Query", "Term", "fts5_expression", "keyword_condition", "parse", "text_condition", "true"]
