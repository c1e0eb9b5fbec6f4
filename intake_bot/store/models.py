"""What the database holds: messages received, their documents, the outbox, events.

Times are stored in UTC and always come back timezone-aware, on SQLite (which has no time zone
type) as on PostgreSQL. JSON columns hold lists and objects as classify and the readers give them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """An aware datetime in, an aware UTC datetime out. A naive value is refused: a wall-clock
    time without its zone is the classic source of reminders sent a day early."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UtcDateTime, dict: JSON, list: JSON}


class SchemaVersion(Base):
    """One row: the schema version this database has been brought to (see db.UPGRADES)."""

    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]


class MessageRow(Base):
    """One message received, recorded once whatever happened to it."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(512), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(900), index=True)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    sender: Mapped[str] = mapped_column(String(320), index=True)
    sender_name: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_date: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime]
    category: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str | None] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list] = mapped_column(default=list)
    problems: Mapped[list] = mapped_column(default=list)
    decision: Mapped[dict | None]
    review_state: Mapped[str | None] = mapped_column(String(16), index=True)


class SourceAlias(Base):
    """Another source key under which an already recorded message was seen again (an IMAP
    folder whose UIDVALIDITY changed, a Maildir copied over): the message is not recorded twice."""

    __tablename__ = "source_aliases"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(512), unique=True)
    message_row_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    seen_at: Mapped[dt.datetime]


class DocumentRow(Base):
    """One document a message carried. `version` counts a unit's submissions 1..n (a mail, or
    one command sending files on a unit's behalf): the files of one submission are its parts
    1..k. A file whose bytes the unit sent before points to that document (`duplicate_of`); a
    submission made only of such files is a resend, with no version."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("unit", "version", "part", name="uq_documents_unit_version_part"),
                      Index("ix_documents_unit_sha256", "unit", "sha256"))
    id: Mapped[int] = mapped_column(primary_key=True)
    message_row_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(32), default="")
    format: Mapped[str] = mapped_column(String(16), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int | None]
    part: Mapped[int | None]
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    extraction: Mapped[dict | None]
    error: Mapped[str | None] = mapped_column(Text)


class SectionTextRow(Base):
    """The text a document has under one of its headings, kept apart from the document's
    extraction JSON (which keeps the heading and its length): only the compiled draft reads it,
    and the status views that load every extraction need not carry every report's prose."""

    __tablename__ = "section_texts"
    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_section_texts_document_position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int]
    key: Mapped[str | None] = mapped_column(String(32))
    heading: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(Text, default="")


class OutgoingRow(Base):
    """One mail of the outbox. `key` makes it once-only; `message_id` is derived from the key."""

    __tablename__ = "outgoing"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str | None] = mapped_column(String(100), index=True)
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    to: Mapped[list]
    cc: Mapped[list] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(default=dict)
    attachments: Mapped[list] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[str] = mapped_column(String(300), unique=True)


class EventRow(Base):
    """Something the secretary or the operator should hear about: a bounce, a limit hit, an
    error, an alert. The digest and `status` read them."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str | None] = mapped_column(String(100))
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    detail: Mapped[dict] = mapped_column(default=dict)


# ---------------------------------------------------------------------- the secretary's commands


class ShortRef(Base):
    """One short reference `#N` of the campaign: the number (`id`) and what it names. One
    sequence for review items, undelivered mail, additional requests and commands, so that a
    number never means two things; a row is never deleted, so the number stays."""

    __tablename__ = "short_refs"
    __table_args__ = (UniqueConstraint("kind", "target_id", name="uq_short_refs_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    created_at: Mapped[dt.datetime]


class CommandRow(Base):
    """One command line, done or refused, with what it did and what undoing it needs."""

    __tablename__ = "commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[int] = mapped_column(unique=True)
    commander: Mapped[str] = mapped_column(String(320), index=True)
    line: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(32), default="")
    result: Mapped[str] = mapped_column(String(16))  # done | refused
    at: Mapped[dt.datetime] = mapped_column(index=True)
    effect: Mapped[str] = mapped_column(Text, default="")  # Vietnamese, as confirmed
    effect_en: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str | None] = mapped_column(Text)
    undo: Mapped[dict | None]  # what undoing needs; None when it cannot be undone
    undone_by: Mapped[int | None]  # the ref of the HOÀN TÁC that undid it
    via: Mapped[str] = mapped_column(String(8), default="mail")  # mail | cli
    source_message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    source_message_id: Mapped[str | None] = mapped_column(String(900), index=True)
    line_no: Mapped[int] = mapped_column(default=0)


class UnitOverride(Base):
    """A setting the secretary gave a unit by command: `status` (exempt, received_offline),
    `deadline` (ISO date), `reminders_paused` (true), `not_applicable` (outline keys),
    `addresses` (registered addresses added). Unit `*` is the whole campaign (reminders paused)."""

    __tablename__ = "unit_overrides"
    __table_args__ = (UniqueConstraint("unit", "name", name="uq_unit_overrides"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[dict] = mapped_column(JSON)  # {"value": ...}
    set_at: Mapped[dt.datetime]


class RequestRow(Base):
    """An additional request to a unit (YÊU CẦU BỔ SUNG): its own item, deadline and reminders."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(100), index=True)
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | answered | withdrawn
    created_at: Mapped[dt.datetime]
    command_ref: Mapped[int | None]
    outgoing_key: Mapped[str | None] = mapped_column(String(512))
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
