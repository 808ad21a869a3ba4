"""Listening (issue 18): the mentions themselves, the company's topics with their keyword rules,
and which topics each mention is tagged with.

A mention is identified for integrators by ``(source, external_id)`` (a re-push updates it) and
in the API by ``id`` (a UUID). ``seq`` is the row's integer key: the full-text index of SQLite
(FTS5, an external-content table ``mention_fts``) keys its rows by it, which must not change
under VACUUM as SQLite's implicit rowid may. On PostgreSQL the migration adds a generated
``search`` tsvector column with a GIN index; it is not mapped here (backend/services/listening/
search.py queries it).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import CompanyOwned, new_id, utcnow

SENTIMENTS = ("positive", "neutral", "negative")
TAGGED_BY = ("rule", "manual", "pushed")


class Topic(CompanyOwned, Model):
    """A subject the company listens for: a name and keyword rules (words or phrases; a mention
    whose text matches any of them is tagged)."""

    __tablename__ = "topic"
    __table_args__ = (
        UniqueConstraint("agency_id", "company_id", "name", name="uq_topic_company_name"),
        UniqueConstraint("agency_id", "id", name="uq_topic_agency_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Mention(CompanyOwned, Model):
    """One thing said about the company on one of its channels."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("agency_id", "company_id", "source", "external_id", name="uq_mention_source_external"),
        UniqueConstraint("agency_id", "id", name="uq_mention_agency_id"),
        # The list, newest first, with a (published_at, seq) cursor.
        Index("ix_mention_company_published", "agency_id", "company_id", "published_at", "seq"),
        # The roll-up: one channel's mentions of one day.
        Index("ix_mention_company_channel_day", "agency_id", "company_id", "channel_id", "day"),
        # The inbox (answered_at IS NULL, oldest first) and the answer times.
        Index("ix_mention_company_answered", "agency_id", "company_id", "answered_at", "published_at"),
        # An author's mentions (influential voices, erasure).
        Index("ix_mention_company_author", "agency_id", "company_id", "author_handle"),
        CheckConstraint("sentiment IN ('positive', 'neutral', 'negative')", name="sentiment"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)  # the offset it was given with
    day: Mapped[dt.date] = mapped_column(Date)  # published_at's date in the company's time zone
    url: Mapped[str] = mapped_column(String(2000), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_handle: Mapped[str] = mapped_column(String(200), default="")
    author_followers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sentiment: Mapped[str] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    language: Mapped[str] = mapped_column(String(16), default="")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)  # ISO 3166-1 alpha-2, upper case
    city: Mapped[str] = mapped_column(String(120), default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # UTC, naive
    answered_by: Mapped[str] = mapped_column(String(254), default="")
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                             nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MentionTopic(CompanyOwned, Model):
    """A mention tagged with a topic: by a keyword rule, by a person, or pushed with it."""

    __tablename__ = "mention_topic"
    __table_args__ = (
        Index("ix_mention_topic_company_topic", "agency_id", "company_id", "topic_id"),
        CheckConstraint("tagged_by IN ('rule', 'manual', 'pushed')", name="tagged_by"),
    )
    mention_seq: Mapped[int] = mapped_column(ForeignKey("mention.seq", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True)
    tagged_by: Mapped[str] = mapped_column(String(10), default="rule")


def outside_the_models(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object``: False for the full-text index, which migration 0009 makes by
    hand and the models do not describe (SQLite's ``mention_fts`` and its shadow tables,
    PostgreSQL's generated ``mention.search`` column and its GIN index), so that autogenerate
    neither drops it nor reports it."""
    if type_ == "table" and name and name.startswith("mention_fts"):
        return False
    if type_ == "column" and name == "search" and reflected and compare_to is None \
            and getattr(getattr(obj, "table", None), "name", "") == "mention":
        return False
    return not (type_ == "index" and name == "ix_mention_search")
