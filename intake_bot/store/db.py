"""The database behind the worker: one `Store`, every query in this file.

SQLite under the data directory by default (`DATA/intake.db`), PostgreSQL by URL
(`postgresql+psycopg://...`, parameter or `INTAKE_BOT_DATABASE_URL`). The schema is created and
brought up to date on open, without manual steps. Writes that belong together (a message, its
documents, its reply, its events) go in one transaction, so a crash leaves all or nothing.

Version numbering reads before it writes, so it relies on one pass at a time (lock.pass_lock);
the unique (unit, version, part) constraint turns a violation into an error rather than a wrong
count.
"""
from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Connection, create_engine, event, func, inspect, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from .archive import Archive, private_dir
from .models import (Base, CommandRow, DocumentRow, EventRow, MessageRow, OutgoingRow, RequestRow, SchemaVersion,
                     SectionTextRow, ShortRef, SourceAlias, UnitOverride)

DATABASE_URL_ENV = "INTAKE_BOT_DATABASE_URL"
# `closed`: a failed or unknown mail the secretary handled herself (ĐÓNG / GỬI LẠI, commands/).
OUTGOING_STATES = ("queued", "sending", "sent", "failed", "unknown", "closed")
SQLITE_BUSY_TIMEOUT_MS = 10_000


# ------------------------------------------------------------------ values passed in and out


@dataclass
class NewMessage:
    source_key: str
    raw_sha256: str
    message_id: str | None
    sender: str
    subject: str
    received_at: dt.datetime
    category: str
    action: str
    unit: str | None = None
    sender_name: str = ""
    sent_date: dt.datetime | None = None
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    decision: dict | None = None
    review_state: str | None = None


@dataclass
class NewDocument:
    sha256: str
    filename: str
    unit: str | None
    version: int | None
    duplicate_of: int | None
    extraction: dict | None
    error: str | None = None
    part: int | None = None
    content_type: str = ""
    kind: str = ""
    format: str = ""
    size: int = 0


@dataclass
class NewOutgoing:
    """An outbox row before it is stored; outbox.Outbox.prepare builds it from a Draft."""

    key: str
    kind: str
    to: list[str]
    subject: str
    text: str
    message_id: str
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    unit: str | None = None
    headers: dict = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)  # {filename, content_type, sha256}


@dataclass
class NewEvent:
    kind: str
    detail: dict
    unit: str | None = None


@dataclass
class FilePlan:
    """One file of a submission: its part number (None in a resend), and the unit's earlier
    document with the same bytes, if any."""

    part: int | None
    duplicate_of: int | None = None
    duplicate_of_filename: str | None = None


@dataclass
class SubmissionPlan:
    """What a submission is for its unit: its next version with the files as parts, or a
    resend (`version` None) whose every file repeats an earlier one."""

    version: int | None
    files: list[FilePlan]

    @classmethod
    def unnumbered(cls, count: int) -> SubmissionPlan:
        """No version: the files of a message of no known unit."""
        return cls(None, [FilePlan(None) for _ in range(count)])


@dataclass
class DocumentInfo:
    id: int
    message_row_id: int
    message_id: str | None
    received_at: dt.datetime
    filename: str
    sha256: str
    format: str
    unit: str | None
    version: int | None
    duplicate_of: int | None
    extraction: dict | None


@dataclass
class UnitSummary:
    unit: str
    messages: int = 0
    first_received_at: dt.datetime | None = None
    last_received_at: dt.datetime | None = None
    version: int | None = None
    documents: int = 0
    reminders_sent: int = 0


@dataclass
class ReviewItem:
    """A message waiting for the secretary. `reasons` in English (the operator's `status`),
    `reasons_vi` the same in Vietnamese as classify and the pass worded them (kept in the
    message's decision JSON); empty for a message recorded before they were kept."""

    message_row_id: int
    message_id: str | None
    source_key: str
    sender: str
    subject: str
    received_at: dt.datetime
    category: str
    unit: str | None
    action: str
    reasons: list[str]
    reasons_vi: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # the units it may be from (classify)
    links: list[str] = field(default_factory=list)  # a link-only message's links (decision JSON)
    bounced_addresses: list[str] = field(default_factory=list)  # a bounce's failed addresses


# ------------------------------------------------------------------ opening and upgrading


def database_url(data_dir: Path, url: str | None = None) -> str:
    """The parameter, else INTAKE_BOT_DATABASE_URL, else a SQLite file in the data directory."""
    return url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{Path(data_dir) / 'intake.db'}"


def redacted_url(url: str) -> str:
    """A database URL with its password masked, for `status` and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _first_schema(conn: Connection) -> None:
    """Version 1: every table of models.py."""
    Base.metadata.create_all(conn)


def _section_texts(conn: Connection) -> None:
    """Version 2: the text under each heading of a document (SectionTextRow)."""
    SectionTextRow.__table__.create(conn, checkfirst=True)


def _secretary_tables(conn: Connection) -> None:
    """Version 3: the secretary's commands, short references, unit overrides and requests."""
    for table in (ShortRef, CommandRow, UnitOverride, RequestRow):
        table.__table__.create(conn, checkfirst=True)


def _versions_per_submission(conn: Connection) -> None:
    """Version 4: a version is a submission, its files are parts (documents.part; the unique
    (unit, version) becomes (unit, version, part)). Recorded documents are numbered again: each
    message that gave a unit a new file is its next version, in order, with every readable
    file of that message a part. A database that models.py made with the column already is
    left alone."""
    if "part" in {c["name"] for c in inspect(conn).get_columns("documents")}:
        return
    if conn.dialect.name == "sqlite":
        _rebuild_sqlite_documents(conn)
    else:
        conn.exec_driver_sql("ALTER TABLE documents ADD COLUMN part INTEGER")
        conn.exec_driver_sql("ALTER TABLE documents DROP CONSTRAINT IF EXISTS uq_documents_unit_version")
        conn.exec_driver_sql("ALTER TABLE documents ADD CONSTRAINT uq_documents_unit_version_part "
                             "UNIQUE (unit, version, part)")
    table = DocumentRow.__table__
    rows = conn.execute(select(table.c.id, table.c.unit, table.c.message_row_id, table.c.version,
                               table.c.duplicate_of, table.c.error)
                        .where(table.c.unit.is_not(None)).order_by(table.c.id)).all()
    by_message: dict[tuple[str, int], list] = defaultdict(list)
    for row in rows:
        by_message[(row.unit, row.message_row_id)].append(row)
    top: Counter = Counter()
    for (unit, _message), docs in by_message.items():  # in the order of each message's first document
        if all(d.version is None for d in docs):
            continue  # a resend, or nothing readable
        top[unit] += 1
        members = [d for d in docs if d.version is not None or (d.duplicate_of is not None and d.error is None)]
        for part, doc in enumerate(members, start=1):
            conn.execute(table.update().where(table.c.id == doc.id).values(version=top[unit], part=part))


def _rebuild_sqlite_documents(conn: Connection) -> None:
    """SQLite cannot drop a table's constraint: the documents table is made again from
    models.py and filled from a copy. Other tables' references to it (section_texts) keep their
    text; their checks wait for the commit (defer_foreign_keys), by which time every id is
    back."""
    if not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")  # pysqlite opens none before DDL; the pragma needs one
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.exec_driver_sql("CREATE TABLE documents_v1 AS SELECT * FROM documents")
    conn.exec_driver_sql("DROP TABLE documents")
    DocumentRow.__table__.create(conn)
    columns = ", ".join(c.name for c in DocumentRow.__table__.columns if c.name != "part")
    conn.exec_driver_sql(f"INSERT INTO documents ({columns}) SELECT {columns} FROM documents_v1 ORDER BY id")
    conn.exec_driver_sql("DROP TABLE documents_v1")


# Each step brings the schema to its version and is idempotent (safe to run on a database that
# already has it). A later change appends a step here; nobody runs migrations by hand.
UPGRADES: tuple[tuple[int, Callable[[Connection], None]], ...] = (
    (1, _first_schema), (2, _section_texts), (3, _secretary_tables), (4, _versions_per_submission))


def upgrade(conn: Connection) -> int:
    """Run the steps the database has not had yet; return the version it is at."""
    SchemaVersion.__table__.create(conn, checkfirst=True)
    row = conn.execute(select(SchemaVersion.id, SchemaVersion.version)).first()
    current = row.version if row else 0
    for version, step in UPGRADES:
        if version > current:
            step(conn)
            current = version
    if row is None:
        conn.execute(SchemaVersion.__table__.insert().values(id=1, version=current))
    elif row.version != current:
        conn.execute(SchemaVersion.__table__.update().values(version=current))
    return current


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets `status` read while a pass writes; busy_timeout waits for a writer instead of
    failing at once; SQLite leaves foreign keys off unless asked, every connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask); SQLite gives
    its -wal and -shm files the database file's permissions."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    if not path.parent.exists():
        private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Store:
    """The database and the archive of one data directory."""

    def __init__(self, data_dir: str | os.PathLike, url: str | None = None):
        self.data_dir = private_dir(Path(data_dir))
        self.archive = Archive(self.data_dir / "archive")
        self.url = database_url(self.data_dir, url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            _private_sqlite_file(self.url)
        self.engine = create_engine(self.url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self.engine.begin() as conn:
            self.schema_version = upgrade(conn)

    @property
    def display_url(self) -> str:
        return redacted_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back when it raises."""
        with self._sessions.begin() as session:
            yield session

    # -------------------------------------------------------------- incoming mail

    def is_recorded(self, source_key: str) -> bool:
        """True when a message was recorded under this key, or seen again under it."""
        with self._sessions() as s:
            recorded = s.scalar(select(MessageRow.id).where(MessageRow.source_key == source_key))
            alias = s.scalar(select(SourceAlias.id).where(SourceAlias.source_key == source_key))
            return recorded is not None or alias is not None

    def recorded_message(self, source_key: str) -> MessageRow | None:
        """The message recorded under this key (not under an alias), if any."""
        with self._sessions() as s:
            return s.scalars(select(MessageRow).where(MessageRow.source_key == source_key)).first()

    def find_by_message_id_and_hash(self, message_id: str | None, raw_sha256: str) -> int | None:
        """The recorded message with this Message-ID and these exact raw bytes, if any."""
        with self._sessions() as s:
            query = select(MessageRow.id).where(MessageRow.raw_sha256 == raw_sha256)
            query = query.where(MessageRow.message_id == message_id if message_id is not None
                                else MessageRow.message_id.is_(None))
            return s.scalars(query.order_by(MessageRow.id).limit(1)).first()

    def known_source_keys(self, keys: list[str]) -> set[str]:
        """Those of `keys` recorded, or seen again, under that key (one query per thousand)."""
        known: set[str] = set()
        with self._sessions() as s:
            for start in range(0, len(keys), 1000):
                chunk = keys[start:start + 1000]
                known.update(s.scalars(select(MessageRow.source_key).where(MessageRow.source_key.in_(chunk))))
                known.update(s.scalars(select(SourceAlias.source_key).where(SourceAlias.source_key.in_(chunk))))
        return known

    def known_message_ids(self, message_ids: list[str]) -> set[str]:
        """Those of `message_ids` a recorded message carries."""
        known: set[str] = set()
        with self._sessions() as s:
            for start in range(0, len(message_ids), 1000):
                chunk = message_ids[start:start + 1000]
                known.update(s.scalars(select(MessageRow.message_id).where(MessageRow.message_id.in_(chunk))))
        return known

    def raw_recorded(self, raw_sha256: str) -> bool:
        """True when a message with exactly these raw bytes is recorded."""
        with self._sessions() as s:
            return s.scalar(select(MessageRow.id).where(MessageRow.raw_sha256 == raw_sha256).limit(1)) is not None

    def add_alias(self, source_key: str, message_row_id: int, now: dt.datetime) -> None:
        with self.transaction() as s:
            s.add(SourceAlias(source_key=source_key, message_row_id=message_row_id, seen_at=now))

    def plan_submission(self, unit: str, shas: list[str]) -> SubmissionPlan:
        """Number one submission of a unit: the files of one mail, or of one command that sends
        files on the unit's behalf, in the order given. With at least one file the unit has not
        sent before, it is the unit's next version and its files are parts 1..k (a file sent
        before also points to its earlier copy); with none, it is a resend: no version, each
        file a duplicate. So a report and its appendix sent together are one version."""
        with self._sessions() as s:
            earlier = {}
            for sha in dict.fromkeys(shas):
                earlier[sha] = s.scalars(
                    select(DocumentRow).where(DocumentRow.unit == unit, DocumentRow.sha256 == sha,
                                              DocumentRow.version.is_not(None))
                    .order_by(DocumentRow.id).limit(1)).first()
            top = s.scalar(select(func.max(DocumentRow.version)).where(DocumentRow.unit == unit)) or 0
        resend = all(earlier[sha] is not None for sha in shas)
        files = [FilePlan(None if resend else n,
                          earlier[sha].id if earlier[sha] else None,
                          earlier[sha].filename if earlier[sha] else None)
                 for n, sha in enumerate(shas, start=1)]
        return SubmissionPlan(None if resend else top + 1, files)

    def record(self, message: NewMessage, documents: list[NewDocument], outgoing: list[NewOutgoing],
               events: list[NewEvent], now: dt.datetime) -> int:
        """Record a message with its documents, queued replies and events in one transaction;
        return the message's row id. Replies whose key is already queued are left alone."""
        with self.transaction() as s:
            row = MessageRow(**vars(message), recorded_at=now)
            row.message_id = _clip(row.message_id, 900)
            row.sender = _address(row.sender)
            s.add(row)
            s.flush()
            for doc in documents:
                extraction, texts = _split_section_texts(doc.extraction)
                document = DocumentRow(message_row_id=row.id, **{**vars(doc), "extraction": extraction,
                                                                  "content_type": doc.content_type[:255]})
                s.add(document)
                s.flush()
                s.add_all(SectionTextRow(document_id=document.id, **text) for text in texts)
            for item in outgoing:
                self.queue_outgoing(s, item, now, message_row_id=row.id)
            for ev in events:
                s.add(EventRow(at=now, kind=ev.kind, unit=ev.unit, detail=ev.detail, message_row_id=row.id))
            return row.id

    def section_texts(self, document_ids: list[int]) -> dict[int, list[SectionTextRow]]:
        """The texts under the headings of these documents, in document order, by document id."""
        out: dict[int, list[SectionTextRow]] = {doc_id: [] for doc_id in document_ids}
        with self._sessions() as s:
            for row in s.scalars(select(SectionTextRow).where(SectionTextRow.document_id.in_(document_ids))
                                 .order_by(SectionTextRow.document_id, SectionTextRow.position)):
                out[row.document_id].append(row)
        return out

    def keep_section_texts(self, document_id: int, sections: list[dict]) -> None:
        """Keep the texts of a document recorded before they were kept (read again from the
        archive), unless some are kept already."""
        _, texts = _split_section_texts({"sections": sections})
        with self.transaction() as s:
            if s.scalar(select(SectionTextRow.id).where(SectionTextRow.document_id == document_id).limit(1)):
                return
            s.add_all(SectionTextRow(document_id=document_id, **text) for text in texts)

    def messages(self) -> list[MessageRow]:
        """Every recorded message, in the order recorded."""
        with self._sessions() as s:
            return list(s.scalars(select(MessageRow).order_by(MessageRow.id)))

    def documents(self, message_row_id: int | None = None) -> list[DocumentRow]:
        """The documents of one message, or all of them, in the order recorded."""
        with self._sessions() as s:
            query = select(DocumentRow).order_by(DocumentRow.id)
            if message_row_id is not None:
                query = query.where(DocumentRow.message_row_id == message_row_id)
            return list(s.scalars(query))

    # -------------------------------------------------------------- views for status and digest

    def counts_by_category(self) -> dict[str, int]:
        with self._sessions() as s:
            rows = s.execute(select(MessageRow.category, func.count()).group_by(MessageRow.category))
            return dict(rows.all())

    def review_queue(self) -> list[ReviewItem]:
        """Messages waiting for the secretary, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(select(MessageRow).where(MessageRow.review_state == "open")
                             .order_by(MessageRow.received_at, MessageRow.id))
            return [ReviewItem(r.id, r.message_id, r.source_key, r.sender, r.subject, r.received_at,
                               r.category, r.unit, r.action, list(r.reasons or []),
                               list((r.decision or {}).get("reasons_vi") or []),
                               list((r.decision or {}).get("candidates") or []),
                               list((r.decision or {}).get("links") or []),
                               list((r.decision or {}).get("bounced_addresses") or [])) for r in rows]

    def _unit_documents(self, s: Session) -> list[DocumentInfo]:
        rows = s.execute(
            select(DocumentRow, MessageRow.message_id, MessageRow.received_at)
            .join(MessageRow, DocumentRow.message_row_id == MessageRow.id)
            .where(DocumentRow.unit.is_not(None), DocumentRow.error.is_(None))
            .order_by(MessageRow.received_at, DocumentRow.id))
        return [DocumentInfo(d.id, d.message_row_id, mid, received, d.filename, d.sha256, d.format,
                             d.unit, d.version, d.duplicate_of, d.extraction) for d, mid, received in rows]

    def latest_documents_by_unit(self) -> dict[str, list[DocumentInfo]]:
        """Each unit's current documents. The latest counts, per role: the report files of the
        unit's latest message that carried one (a .docx and its PDF copy together), and the
        appendix workbooks (.xlsx) of its latest message that carried one. So a corrected report
        replaces the earlier one, and an appendix sent on its own later does not hide the report.
        Byte-identical resends are included: they are what the unit sent in that message."""
        with self._sessions() as s:
            documents = self._unit_documents(s)
        by_role: dict[tuple[str, str], list[DocumentInfo]] = defaultdict(list)
        for doc in documents:  # oldest first: a later message replaces the role's list
            role = (doc.unit, "appendix" if doc.format == "xlsx" else "report")
            current = by_role[role]
            if current and current[-1].message_row_id != doc.message_row_id:
                current.clear()
            current.append(doc)
        latest: dict[str, list[DocumentInfo]] = defaultdict(list)
        for (unit, _role), docs in sorted(by_role.items()):
            latest[unit].extend(docs)
        return dict(latest)

    def unit_summary(self) -> dict[str, UnitSummary]:
        """Per unit that sent anything: how many messages, when, its latest version number (its
        latest submission), how many distinct documents, how many reminders went to it."""
        summaries: dict[str, UnitSummary] = {}
        with self._sessions() as s:
            for unit, count, first, last in s.execute(
                    select(MessageRow.unit, func.count(), func.min(MessageRow.received_at),
                           func.max(MessageRow.received_at))
                    .where(MessageRow.unit.is_not(None)).group_by(MessageRow.unit)):
                summaries[unit] = UnitSummary(unit, count, first, last)
            for unit, top, count in s.execute(
                    select(DocumentRow.unit, func.max(DocumentRow.version),
                           func.count(DocumentRow.version).filter(DocumentRow.duplicate_of.is_(None)))
                    .where(DocumentRow.unit.is_not(None)).group_by(DocumentRow.unit)):
                summary = summaries.setdefault(unit, UnitSummary(unit))
                summary.version, summary.documents = top, count
            for unit, count in s.execute(
                    select(OutgoingRow.unit, func.count())
                    .where(OutgoingRow.kind.like("reminder%"), OutgoingRow.state == "sent",
                           OutgoingRow.unit.is_not(None)).group_by(OutgoingRow.unit)):
                summaries.setdefault(unit, UnitSummary(unit)).reminders_sent = count
        return summaries

    # -------------------------------------------------------------- events

    def add_event(self, kind: str, detail: dict, at: dt.datetime, unit: str | None = None,
                  session: Session | None = None) -> None:
        if session is not None:
            session.add(EventRow(at=at, kind=kind, unit=unit, detail=detail))
            return
        with self.transaction() as s:
            s.add(EventRow(at=at, kind=kind, unit=unit, detail=detail))

    def events(self, since: dt.datetime, until: dt.datetime | None = None,
               kinds: tuple[str, ...] | None = None) -> list[EventRow]:
        with self._sessions() as s:
            query = select(EventRow).where(EventRow.at >= since).order_by(EventRow.at, EventRow.id)
            if until is not None:
                query = query.where(EventRow.at < until)
            if kinds:
                query = query.where(EventRow.kind.in_(kinds))
            return list(s.scalars(query))

    def last_event(self, kinds: tuple[str, ...]) -> EventRow | None:
        """The latest event of one of these kinds (the latest recorded, when two share a time)."""
        with self._sessions() as s:
            return s.scalars(select(EventRow).where(EventRow.kind.in_(kinds))
                             .order_by(EventRow.at.desc(), EventRow.id.desc()).limit(1)).first()

    # -------------------------------------------------------------- the outbox

    def queue_outgoing(self, session: Session, item: NewOutgoing, now: dt.datetime,
                       message_row_id: int | None = None) -> bool:
        """Add a queued mail unless its key is already in the outbox; True when added."""
        if session.scalar(select(OutgoingRow.id).where(OutgoingRow.key == item.key)) is not None:
            return False
        session.add(OutgoingRow(
            **vars(item), recipient=_address(item.to[0] if item.to else ""),
            message_row_id=message_row_id, state="queued", attempts=0, next_attempt_at=now, created_at=now))
        session.flush()
        return True

    def outgoing(self, key: str) -> OutgoingRow | None:
        with self._sessions() as s:
            return s.scalars(select(OutgoingRow).where(OutgoingRow.key == key)).first()

    def outgoing_in_states(self, *states: str) -> list[OutgoingRow]:
        with self._sessions() as s:
            return list(s.scalars(select(OutgoingRow).where(OutgoingRow.state.in_(states))
                                  .order_by(OutgoingRow.id)))

    def due_outgoing(self, now: dt.datetime) -> list[OutgoingRow]:
        """Queued mail whose time has come, in the order it was queued."""
        with self._sessions() as s:
            return list(s.scalars(select(OutgoingRow).where(OutgoingRow.state == "queued",
                                                            OutgoingRow.next_attempt_at <= now)
                                  .order_by(OutgoingRow.id)))

    def begin_sending(self, outgoing_id: int) -> None:
        """Mark a mail `sending` and count the attempt, committed before the message itself goes
        out (outbox.py: what a crash then leaves is `unknown`)."""
        with self.transaction() as s:
            row = s.get_one(OutgoingRow, outgoing_id)
            row.state = "sending"
            row.attempts += 1

    def set_outgoing_state(self, outgoing_id: int, state: str, *, error: str | None = None,
                           sent_at: dt.datetime | None = None, next_attempt_at: dt.datetime | None = None,
                           attempts: int | None = None) -> None:
        """The outcome of an attempt; `attempts` is the count so far, whether or not the attempt
        got as far as `begin_sending`."""
        if state not in OUTGOING_STATES:
            raise ValueError(f"unknown outbox state {state!r}")
        with self.transaction() as s:
            row = s.get_one(OutgoingRow, outgoing_id)
            row.state = state
            row.last_error = error
            if sent_at is not None:
                row.sent_at = sent_at
            if next_attempt_at is not None:
                row.next_attempt_at = next_attempt_at
            if attempts is not None:
                row.attempts = attempts

    def outbox_counts(self) -> dict[str, int]:
        """Outbox rows per state, every state present."""
        with self._sessions() as s:
            found = dict(s.execute(select(OutgoingRow.state, func.count()).group_by(OutgoingRow.state)).all())
        return {state: found.get(state, 0) for state in OUTGOING_STATES}

    def acks_sent_to(self, address: str, since: dt.datetime) -> int:
        """Replies to received mail addressed to `address` since `since`, whatever their
        state: the rate limit counts what the bot decided to send, not what got through."""
        with self._sessions() as s:
            return s.scalar(select(func.count()).select_from(OutgoingRow).where(
                OutgoingRow.recipient == _address(address), OutgoingRow.created_at >= since,
                OutgoingRow.message_row_id.is_not(None))) or 0

    def sent_by_bot(self, message_id: str | None) -> bool:
        """Whether the outbox made this Message-ID: the mail is the bot's own."""
        if not message_id:
            return False
        with self._sessions() as s:
            return s.scalar(select(OutgoingRow.id).where(OutgoingRow.message_id == message_id).limit(1)) is not None

    def unit_of_recipient(self, address: str) -> str | None:
        """The unit of the latest mail the bot sent to `address` (to name a bounced address)."""
        with self._sessions() as s:
            return s.scalars(select(OutgoingRow.unit).where(
                OutgoingRow.recipient == _address(address), OutgoingRow.unit.is_not(None))
                .order_by(OutgoingRow.id.desc()).limit(1)).first()

    # -------------------------------------------------------------- checking

    def consistency_check(self, verify_hashes: bool = True) -> list[str]:
        """Problems found, in English, one per line; empty when all is well. Checks that every
        archived reference is in the archive (and hashes to its name), that no source key is
        used twice, that each unit's versions run 1..n, each one the parts 1..k of one message,
        and that every duplicate points to an earlier document of its unit with the same bytes."""
        present = self.archive.verify if verify_hashes else self.archive.contains
        problems = []
        damaged = "missing or damaged in the archive"
        with self._sessions() as s:
            messages = list(s.scalars(select(MessageRow)))
            documents = {d.id: d for d in s.scalars(select(DocumentRow))}
            outgoing = list(s.scalars(select(OutgoingRow)))
            aliases = list(s.scalars(select(SourceAlias.source_key)))
        for m in messages:
            if not present(m.raw_sha256):
                problems.append(f"message {m.id} ({m.source_key}): raw message {m.raw_sha256} {damaged}")
        for d in documents.values():
            if not present(d.sha256):
                problems.append(f"document {d.id} ({d.filename!r}): {d.sha256} {damaged}")
        for o in outgoing:
            for a in o.attachments or []:
                if not present(a.get("sha256", "")):
                    problems.append(f"outgoing {o.key}: attachment {a.get('filename')!r} {damaged}")
        keys = Counter([m.source_key for m in messages] + aliases)
        problems += [f"source key {k} is recorded {n} times" for k, n in keys.items() if n > 1]
        versions: dict[str, set[int]] = defaultdict(set)
        parts: dict[tuple[str, int], list[tuple[int | None, int]]] = defaultdict(list)
        for d in documents.values():
            if d.unit and d.version is not None:
                versions[d.unit].add(d.version)
                parts[(d.unit, d.version)].append((d.part, d.message_row_id))
            if d.duplicate_of is not None:
                original = documents.get(d.duplicate_of)
                if original is None or original.sha256 != d.sha256 or original.unit != d.unit \
                        or original.version is None or original.id >= d.id:
                    problems.append(f"document {d.id}: duplicate_of {d.duplicate_of} is not an earlier "
                                    f"version of the same file for {d.unit}")
        for unit, numbers in sorted(versions.items()):
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                problems.append(f"unit {unit}: versions {sorted(numbers)} do not run 1..{len(numbers)}")
        for (unit, version), found in sorted(parts.items()):
            numbers = sorted(part or 0 for part, _ in found)
            if numbers != list(range(1, len(found) + 1)) or len({m for _, m in found}) > 1:
                problems.append(f"unit {unit}: version {version} is not the parts 1..{len(found)} of one "
                                f"message (parts {numbers})")
        return problems


def _split_section_texts(extraction: dict | None) -> tuple[dict | None, list[dict]]:
    """The extraction without its sections' `text`, and those texts as SectionTextRow values."""
    if not extraction or not extraction.get("sections"):
        return extraction, []
    sections, texts = [], []
    for position, section in enumerate(extraction["sections"]):
        section = dict(section)
        text = section.pop("text", None)
        sections.append(section)
        if text is not None:
            texts.append({"position": position, "key": section.get("key"),
                          "heading": section.get("heading") or "", "level": section.get("level") or 1,
                          "text": text})
    return {**extraction, "sections": sections}, texts


def _address(address: str) -> str:
    return address.strip().lower()[:320]


def _clip(value: str | None, limit: int) -> str | None:
    """Header values come from senders: an index cannot hold an unbounded string."""
    return value[:limit] if value is not None else None

