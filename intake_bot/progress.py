"""Where each unit stands: what it has sent, what its latest report lacks, how late it is.

A unit's *latest report* is the union of its latest text-bearing report document (DOCX, text PDF,
DOC) and its latest appendix workbook (XLSX), because units often send the appendix as a separate
workbook beside the Word file, or resend only the part that was missing. A scanned PDF counts
only while no text-bearing report has come: units often send the Word file together with a signed
scan, and the scan then adds nothing the Word file lacks.

Status (`status --json`, docs/json.md):
    not_received   no readable report document or workbook yet
    scanned_only   only scanned PDFs: the numbers cannot be read, the plan asks for the Word file
    incomplete     outline items (or the appendix, outline key PL) missing from the latest report
    complete       every outline item present (a unit with no outline: any text report)
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from .compose import missing_items
from .config import Campaign
from .reader.model import Extraction
from .store import secretary
from .store.models import DocumentRow, EventRow, MessageRow
from .workdays import WorkCalendar

NOT_RECEIVED, INCOMPLETE, SCANNED_ONLY, COMPLETE = "not_received", "incomplete", "scanned_only", "complete"
# Set by the secretary's commands (MIỄN, ĐÃ NHẬN BẢN GIẤY): they win over what the mail shows.
EXEMPT, RECEIVED_OFFLINE = "exempt", "received_offline"
STATUSES = (NOT_RECEIVED, INCOMPLETE, SCANNED_ONLY, COMPLETE, EXEMPT, RECEIVED_OFFLINE)
# How the digest and its workbook name each status for the secretary.
STATUS_LABELS = {NOT_RECEIVED: "Chưa gửi báo cáo", INCOMPLETE: "Còn thiếu nội dung",
                 SCANNED_ONLY: "Chỉ có bản chụp (scan)", COMPLETE: "Đã đủ nội dung",
                 EXEMPT: "Được miễn gửi báo cáo", RECEIVED_OFFLINE: "Đã nhận bản giấy"}
_EXTRACTION_FIELDS = {f.name for f in dataclasses.fields(Extraction)}


@dataclass(frozen=True)
class ReceivedDocument:
    """One versioned document of a unit as recorded (byte-identical resends are not versions)."""

    filename: str
    version: int
    format: str
    received_at: dt.datetime
    sender: str
    extraction: Extraction | None
    document_id: int | None = None   # the DocumentRow: its section texts are kept apart (store)

    @property
    def readable(self) -> bool:
        return self.extraction is not None and self.extraction.readable

    @property
    def scanned(self) -> bool:
        return self.readable and self.extraction.scanned

    @property
    def is_workbook(self) -> bool:
        return self.format == "xlsx"


@dataclass(frozen=True)
class UnitNote:
    """A message of the unit without a report file: a link to one (`links`) or a note, perhaps
    naming the day the report will come (`promised`). `in_review` while it waits for the
    secretary. Reminders mention it; the digest's row for the unit says it is waiting."""

    received_at: dt.datetime
    subject: str
    links: tuple[str, ...] = ()
    promised: dt.date | None = None
    in_review: bool = False

    def to_json(self) -> dict:
        return {"received_at": self.received_at.isoformat(), "subject": self.subject,
                "links": list(self.links), "promised_date": self.promised.isoformat() if self.promised else None,
                "in_review": self.in_review}


@dataclass
class UnitProgress:
    """One line of the status table. `days_late` counts working days after the deadline up to
    the first report (or up to now while none has come). `bounced` lists the unit's addresses
    whose mail came back undelivered and that have not written to us since."""

    unit: str
    status: str
    received_at: dt.datetime | None = None
    last_received_at: dt.datetime | None = None
    version: int | None = None
    missing: list[str] = field(default_factory=list)
    appendix_rows: int = 0
    reminders_sent: int = 0
    days_late: int = 0
    bounced: tuple[str, ...] = ()
    last_sender: str | None = None
    latest_files: list[ReceivedDocument] = field(default_factory=list)
    deadline: dt.date | None = None  # the unit's own (GIA HẠN), else the campaign's
    reminders_paused: bool = False
    requests: list[dict] = field(default_factory=list)  # additional requests: ref, text, deadline, status
    addresses: tuple[str, ...] = ()
    notes: list[UnitNote] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[ReceivedDocument, dict]]:
        """The appendix rows of the latest report, each with the document it was read from."""
        return [(doc, row) for doc in self.latest_files if doc.extraction for row in doc.extraction.tables]

    @property
    def warnings(self) -> list[tuple[ReceivedDocument, str]]:
        """The reader's warnings on the latest report (numbers that do not add up, ...), in
        Vietnamese for the secretary; a document read before the Vietnamese was kept gives its
        English ones."""
        return [(doc, w) for doc in self.latest_files if doc.extraction
                for w in doc.extraction.warnings_vi or doc.extraction.warnings]

    def to_json(self) -> dict:
        """The `units` entry of `intake-bot status --json`."""
        return {
            "unit": self.unit, "status": self.status,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "last_received_at": self.last_received_at.isoformat() if self.last_received_at else None,
            "version": self.version, "missing": list(self.missing),
            "appendix_rows": self.appendix_rows, "reminders_sent": self.reminders_sent,
            "days_late": self.days_late, "bounced": list(self.bounced),
            "files": [{"file": d.filename, "version": d.version, "format": d.format,
                       "scanned": d.scanned} for d in self.latest_files],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "reminders_paused": self.reminders_paused,
            "requests": list(self.requests),
            "addresses": list(self.addresses),
            "notes": [n.to_json() for n in self.notes],
        }

    @property
    def expects_reminders(self) -> bool:
        """False when the secretary exempted the unit, took its report on paper, or paused its
        reminders."""
        return self.status not in (EXEMPT, RECEIVED_OFFLINE) and not self.reminders_paused


def extraction_from_json(data: dict | None) -> Extraction | None:
    """The stored extraction JSON back as an Extraction; keys this version does not know are
    dropped so that an older database still reads."""
    if not data:
        return None
    return Extraction(**{k: v for k, v in data.items() if k in _EXTRACTION_FIELDS})


def latest_report(documents: list[ReceivedDocument]) -> list[ReceivedDocument]:
    """The documents that make up the unit's latest report (see the module docstring). Of a
    DOCX and its PDF copy sent together, the DOCX counts: it is the original, and counting both
    would count the appendix rows twice."""
    readable = sorted((d for d in documents if d.readable),
                      key=lambda d: (d.received_at, d.format == "docx", d.version))
    text = [d for d in readable if not d.is_workbook and not d.scanned]
    workbooks = [d for d in readable if d.is_workbook]
    scans = [d for d in readable if d.scanned]
    chosen = [text[-1]] if text else [scans[-1]] if scans else []
    if workbooks:
        chosen.append(workbooks[-1])
    return chosen


def summarize(campaign: Campaign, calendar: WorkCalendar, unit_id: str,
              documents: list[ReceivedDocument], now: dt.datetime,
              reminders_sent: int = 0, bounced: tuple[str, ...] = ()) -> UnitProgress:
    """A unit's progress from its recorded documents."""
    today = now.astimezone(campaign.tz).date()
    latest = latest_report(documents)
    readable = sorted((d for d in documents if d.readable), key=lambda d: d.received_at)
    if not latest:
        return UnitProgress(unit=unit_id, status=NOT_RECEIVED, reminders_sent=reminders_sent,
                            days_late=calendar.working_days_between(campaign.deadline, today),
                            bounced=bounced)
    extractions = [d.extraction for d in latest]
    if all(d.scanned or d.is_workbook for d in latest) and any(d.scanned for d in latest):
        status, missing = SCANNED_ONLY, []
    else:
        missing = missing_items(campaign, unit_id, extractions)
        # With an outline, a workbook alone misses every text item; without one, any file will do.
        status = INCOMPLETE if missing else COMPLETE
    first = readable[0].received_at
    last = readable[-1]
    return UnitProgress(
        unit=unit_id, status=status, received_at=first, last_received_at=last.received_at,
        version=max(d.version for d in documents), missing=missing,
        appendix_rows=sum(len(e.tables) for e in extractions), reminders_sent=reminders_sent,
        days_late=calendar.working_days_between(campaign.deadline, first.astimezone(campaign.tz).date()),
        bounced=bounced, last_sender=last.sender, latest_files=latest,
    )


def unit_progress(store, campaign: Campaign, now: dt.datetime,
                  calendar: WorkCalendar | None = None) -> list[UnitProgress]:
    """Every unit of the campaign, in the campaign file's order, from the store, as the
    secretary's commands left it (store/secretary.py: status, deadline, excused items...)."""
    campaign = secretary.with_overrides(campaign, store)
    calendar = calendar or WorkCalendar(campaign)
    documents = received_documents(store)
    bounced = bounced_addresses(store)
    summaries = store.unit_summary()
    found = secretary.overrides(store)
    requests = unit_requests(store, campaign)
    notes = unit_notes(store)
    out = []
    for unit_id in campaign.units:
        deadline = found.deadline.get(unit_id, campaign.deadline)
        own = dataclasses.replace(campaign, deadline=deadline) if deadline != campaign.deadline else campaign
        p = summarize(own, calendar, unit_id, documents.get(unit_id, []), now,
                      reminders_sent=summaries[unit_id].reminders_sent if unit_id in summaries else 0,
                      bounced=bounced.get(unit_id, ()))
        if unit_id in found.status:
            p.status, p.days_late = found.status[unit_id], 0
        p.deadline, p.reminders_paused = deadline, found.reminders_paused(unit_id)
        p.requests, p.addresses = requests.get(unit_id, []), campaign.units[unit_id].addresses
        p.notes = notes.get(unit_id, [])
        out.append(p)
    return out


NOTE_CATEGORIES = ("link_only", "no_attachment")


def unit_notes(store) -> dict[str, list[UnitNote]]:
    """Each unit's messages without a report file (classify's link_only and no_attachment), in
    the order received, with the links and the promised day classify found."""
    with store.transaction() as s:
        rows = s.scalars(select(MessageRow).where(MessageRow.category.in_(NOTE_CATEGORIES),
                                                  MessageRow.unit.is_not(None))
                         .order_by(MessageRow.received_at, MessageRow.id)).all()
    out: dict[str, list[UnitNote]] = {}
    for row in rows:
        decision = row.decision or {}
        promised = decision.get("promised_date")
        out.setdefault(row.unit, []).append(UnitNote(
            received_at=row.received_at, subject=row.subject or "", links=tuple(decision.get("links") or ()),
            promised=dt.date.fromisoformat(promised) if promised else None, in_review=row.review_state == "open"))
    return out


def unit_requests(store, campaign: Campaign) -> dict[str, list[dict]]:
    """Each unit's additional requests (YÊU CẦU BỔ SUNG) as `status --json` shows them."""
    refs = secretary.refs_of(store, "request")
    out: dict[str, list[dict]] = {}
    for row in secretary.requests(store):
        out.setdefault(row.unit, []).append({"ref": refs.get(row.id), "text": row.text,
                                             "deadline": row.deadline.isoformat(), "status": row.status})
    return out


def received_documents(store) -> dict[str, list[ReceivedDocument]]:
    """Each unit's readable documents in the order received. A byte-identical resend carries
    the version of the file it repeats: it is the same report, sent again."""
    with store.transaction() as s:
        rows = s.execute(
            select(DocumentRow, MessageRow.received_at, MessageRow.sender)
            .join(MessageRow, DocumentRow.message_row_id == MessageRow.id)
            .where(DocumentRow.unit.is_not(None), DocumentRow.error.is_(None))
            .order_by(MessageRow.received_at, DocumentRow.id)).all()
    versions = {doc.id: doc.version for doc, _, _ in rows}
    out: dict[str, list[ReceivedDocument]] = {}
    for doc, received_at, sender in rows:
        version = doc.version if doc.version is not None else versions.get(doc.duplicate_of)
        if version is None:
            continue
        out.setdefault(doc.unit, []).append(ReceivedDocument(
            filename=doc.filename, version=version, format=doc.format, received_at=received_at,
            sender=(sender or "").lower(), extraction=extraction_from_json(doc.extraction),
            document_id=doc.id))
    return out


def bounced_addresses(store) -> dict[str, tuple[str, ...]]:
    """Per unit, the addresses named by `bounce` events (detail `addresses`) from which the unit
    has not written since the bounce: a unit that writes again from an address has shown it
    works."""
    with store.transaction() as s:
        events = s.scalars(select(EventRow).where(EventRow.kind == "bounce", EventRow.unit.is_not(None))
                           .order_by(EventRow.at)).all()
        heard = s.execute(select(MessageRow.sender, func.max(MessageRow.received_at))
                          .group_by(MessageRow.sender)).all()
    last_heard = {(sender or "").lower(): at for sender, at in heard}
    failed: dict[str, dict[str, dt.datetime]] = {}
    for ev in events:
        for address in (ev.detail or {}).get("addresses", []):
            failed.setdefault(ev.unit, {})[str(address).strip().lower()] = ev.at
    still_failing: dict[str, tuple[str, ...]] = {}
    for unit, by_address in failed.items():
        addresses = tuple(a for a, at in by_address.items() if last_heard.get(a) is None or last_heard[a] <= at)
        if addresses:
            still_failing[unit] = addresses
    return still_failing
