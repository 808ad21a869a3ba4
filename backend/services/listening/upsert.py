"""The upsert of a push or import, inside the caller's transaction: which mentions exist, their
pushed and manual topic tags, the rule tags (``topics.tag_mentions``) and the daily counts of
every channel-day touched (``rollup.refresh``). backend/services/listening/mentions.py commits."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import select

from ...extensions import db
from ...models import Company, Mention, MentionTopic
from .validation import MentionRow

LOOKUP_CHUNK = 500
ChannelDay = tuple[uuid.UUID, dt.date]


def existing(company_id: uuid.UUID, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Mention]:
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    found: dict[tuple[str, str], Mention] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), LOOKUP_CHUNK):
            stmt = select(Mention).where(Mention.company_id == company_id, Mention.source == source,
                                         Mention.external_id.in_(ids[start:start + LOOKUP_CHUNK]))
            for m in db.session.scalars(stmt):
                found[(m.source, m.external_id)] = m
    return found


def tags(company_id: uuid.UUID, seqs: list[int]) -> dict[int, dict[uuid.UUID, MentionTopic]]:
    out: dict[int, dict[uuid.UUID, MentionTopic]] = {}
    for start in range(0, len(seqs), LOOKUP_CHUNK):
        stmt = select(MentionTopic).where(MentionTopic.company_id == company_id,
                                          MentionTopic.mention_seq.in_(seqs[start:start + LOOKUP_CHUNK]))
        for tag in db.session.scalars(stmt):
            out.setdefault(tag.mention_seq, {})[tag.topic_id] = tag
    return out


def topic_ids(company_id: uuid.UUID, names: Iterable[str]) -> dict[str, uuid.UUID]:
    """{casefolded name: topic id} for these names, creating the unknown ones (topics without rules)."""
    wanted = sorted({n for n in names})
    if not wanted:
        return {}
    from . import topics

    found = topics.topic_ids_by_name(company_id, wanted, create=True)
    return {str(name).casefold(): tid for name, tid in found.items()}


def set_tags(company_id: uuid.UUID, seq: int, current: dict[uuid.UUID, MentionTopic], wanted: set[uuid.UUID],
              by: str, replaces: tuple[str, ...]) -> bool:
    """Make the mention's tags of the kinds ``replaces`` exactly ``wanted`` (tagged ``by``); a rule
    tag of a wanted topic becomes ``by``; a manual tag is kept as it is. True when anything changed."""
    changed = False
    for topic_id in wanted:
        tag = current.get(topic_id)
        if tag is None:
            db.session.add(MentionTopic(company_id=company_id, mention_seq=seq, topic_id=topic_id, tagged_by=by))
            changed = True
        elif tag.tagged_by != by and tag.tagged_by != "manual":
            tag.tagged_by = by
            changed = True
    for topic_id, tag in current.items():
        if topic_id not in wanted and tag.tagged_by in replaces:
            db.session.delete(tag)
            changed = True
    return changed


def apply(company: Company, rows: list[MentionRow]) -> tuple[int, int, int]:
    """The upsert itself, inside the caller's transaction; returns (created, updated, unchanged)."""
    from . import rollup, topics

    stored = existing(company.id, (r.key for r in rows))
    ids = topic_ids(company.id, (name for r in rows for name in r.topics))
    current = tags(company.id, [m.seq for m in stored.values()])
    created = updated = unchanged = 0
    keys: set[ChannelDay] = set()
    touched: list[Mention] = []
    new: list[tuple[Mention, set[uuid.UUID]]] = []
    for row in rows:
        wanted = {ids[name.casefold()] for name in row.topics}
        values = row.stored()
        mention = stored.get(row.key)
        if mention is None:
            mention = Mention(company_id=company.id, source=row.source, external_id=row.external_id, **values)
            db.session.add(mention)
            new.append((mention, wanted))
            keys.add((row.channel_id, row.day))
            created += 1
            continue
        old_key = (mention.channel_id, mention.day)
        diff = {k: v for k, v in values.items() if getattr(mention, k) != v}
        for name, value in diff.items():
            setattr(mention, name, value)
        retagged = set_tags(company.id, mention.seq, current.get(mention.seq, {}), wanted, "pushed", ("pushed",))
        if diff or retagged:
            keys |= {old_key, (mention.channel_id, mention.day)}
            touched.append(mention)
            updated += 1
        else:
            unchanged += 1
    db.session.flush()  # new mentions get their seq (and the full-text index its rows)
    for mention, wanted in new:
        set_tags(company.id, mention.seq, {}, wanted, "pushed", ())
        touched.append(mention)
    db.session.flush()
    if touched:
        topics.tag_mentions(company.id, touched)
    if keys:
        rollup.refresh(company.id, keys)
    return created, updated, unchanged
