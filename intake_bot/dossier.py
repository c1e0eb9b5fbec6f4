"""The members' dossier: each `[[delegation]]` member gets the compiled draft, the workbook and
the latest report of each unit, with a short Vietnamese cover note.

A dossier is identified by what it carries: the fingerprint of the latest documents of every
unit. Asked for again while nothing has changed, it is the same dossier, and a member who already
has it gets nothing (a member added to the campaign file since gets it); once a unit has sent a
new version, it is the next dossier (numbered 1, 2, ...), and its cover note says what changed
since the previous one. Each mail's outbox key is `dossier:<fingerprint>:<member>:<i>of<n>`, and a
member with any mail of that fingerprint in the outbox is skipped, so a dossier goes to a member
once, across restarts and repeated commands alike.

Attachments that together pass `[dossier] max_mb` are split over several mails, numbered
"(1/3)" in the subject; a single file larger than the cap is not attached but named in the note
(Gmail refuses mail over 25 MB).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .config import Campaign, Member
from .draft import Draft
from .draft_report import DOCX_MIME, build_draft, draft_filename
from .progress import UnitProgress, unit_progress
from .reconcile import reconcile
from .store.models import EventRow, OutgoingRow
from .templating import environment, render
from .text import shown_name
from .workbook import XLSX_MIME, build_workbook

KEY_PREFIX = "dossier:"
EVENT_KIND = "dossier"
SCHEDULED_EVENT_KIND = "dossier_scheduled"
# What one attachment adds to a mail beyond its bytes: base64 (4 bytes per 3, a line break per
# 76) and its MIME headers; the cover note and the mail's own headers are counted once.
_PART_HEADERS = 400
_MAIL_OVERHEAD = 16 * 1024
_MIME_BY_FORMAT = {"docx": DOCX_MIME, "xlsx": XLSX_MIME, "pdf": "application/pdf", "doc": "application/msword"}


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    what: str   # what it is, in the cover note: "Dự thảo báo cáo tổng hợp", a unit's report...

    @property
    def mail_size(self) -> int:
        encoded = math.ceil(len(self.data) / 3) * 4
        return encoded + encoded // 76 * 2 + _PART_HEADERS


@dataclass
class Dossier:
    number: int
    fingerprint: str
    manifest: dict[str, list[dict]]           # unit -> [{"file", "version", "sha256"}]
    problems: int                             # zones whose figures disagree or are missing
    parts: list[list[Attachment]]
    too_large: list[Attachment] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)    # Vietnamese, since the previous dossier
    previous_number: int | None = None
    previous_at: dt.datetime | None = None
    missing_units: list[str] = field(default_factory=list)


def build_dossier(campaign: Campaign, store, now: dt.datetime) -> Dossier:
    """The dossier as of `now` (nothing is queued)."""
    progress = unit_progress(store, campaign, now)
    shas = {doc.id: doc.sha256 for doc in store.documents()}
    manifest = {p.unit: [{"file": d.filename, "version": d.version, "sha256": shas.get(d.document_id, "")}
                         for d in p.latest_files] for p in progress if p.latest_files}
    fingerprint = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    history = _history(store)
    earlier = next((e for e in history if e.detail.get("fingerprint") == fingerprint), None)
    previous = next((e for e in reversed(history) if e.detail.get("fingerprint") != fingerprint), None) \
        if earlier is None else _before(history, earlier)
    number = earlier.detail["number"] if earlier else max([e.detail.get("number", 0) for e in history] or [0]) + 1
    problems = len(reconcile(campaign, progress).problems)
    attachments = [
        Attachment(draft_filename(campaign, now), DOCX_MIME, build_draft(campaign, store, now),
                   "Dự thảo báo cáo tổng hợp kết quả giám sát (bản Word để chỉnh sửa)"),
        Attachment(f"{campaign.id}-so-lieu-{now.astimezone(campaign.tz):%Y-%m-%d}.xlsx", XLSX_MIME,
                   build_workbook(campaign, progress, now), "Bảng tổng hợp số liệu phụ lục và tình hình gửi báo cáo"),
        *_unit_reports(campaign, store, progress, shas)]
    parts, too_large = _split(attachments, campaign.dossier_max_bytes)
    return Dossier(number=number, fingerprint=fingerprint, manifest=manifest, problems=problems, parts=parts,
                   too_large=too_large, changes=_changes(campaign, previous, manifest, problems) if previous else [],
                   previous_number=previous.detail.get("number") if previous else None,
                   previous_at=previous.at.astimezone(campaign.tz) if previous else None,
                   missing_units=[campaign.units[p.unit].short_name for p in progress if not p.latest_files])


def _history(store) -> list[EventRow]:
    with store.transaction() as s:
        return list(s.scalars(select(EventRow).where(EventRow.kind == EVENT_KIND).order_by(EventRow.at, EventRow.id)))


def _before(history: list[EventRow], event: EventRow) -> EventRow | None:
    """The dossier sent before `event`'s (the changes it reported are against that one)."""
    index = history.index(event)
    return history[index - 1] if index > 0 else None


def _unit_reports(campaign: Campaign, store, progress: list[UnitProgress], shas: dict) -> list[Attachment]:
    out = []
    for p in progress:
        unit = campaign.units[p.unit]
        for doc in p.latest_files:
            sha = shas.get(doc.document_id)
            if not sha or not store.archive.contains(sha):
                continue
            out.append(Attachment(shown_name(f"{unit.short_name} - {doc.filename}"),
                                  _MIME_BY_FORMAT.get(doc.format, "application/octet-stream"),
                                  store.archive.get(sha), f"Báo cáo của {unit.short_name} (phiên bản {doc.version})"))
    return out


def _split(attachments: list[Attachment], cap: int) -> tuple[list[list[Attachment]], list[Attachment]]:
    """Attachments in order into mails of at most `cap` bytes each (with the mail's overhead);
    a file that cannot fit a mail on its own is set aside."""
    room = cap - _MAIL_OVERHEAD
    parts: list[list[Attachment]] = [[]]
    too_large = []
    for attachment in attachments:
        if attachment.mail_size > room:
            too_large.append(attachment)
            continue
        if parts[-1] and sum(a.mail_size for a in parts[-1]) + attachment.mail_size > room:
            parts.append([])
        parts[-1].append(attachment)
    return parts, too_large


def _changes(campaign: Campaign, previous: EventRow, manifest: dict, problems: int) -> list[str]:
    """What changed since the previous dossier, in Vietnamese, one line each."""
    before = previous.detail.get("manifest") or {}
    lines = []
    for unit_id, docs in manifest.items():
        name = campaign.units[unit_id].short_name if unit_id in campaign.units else unit_id
        files = ", ".join(f"{d['file']} (phiên bản {d['version']})" for d in docs)
        if unit_id not in before:
            lines.append(f"{name} đã gửi báo cáo: {files}")
        elif {d["sha256"] for d in docs} != {d["sha256"] for d in before[unit_id]}:
            lines.append(f"{name} đã gửi bản mới: {files}")
    earlier_problems = previous.detail.get("problems")
    if earlier_problems is not None and earlier_problems != problems:
        lines.append(f"Số khu, cụm công nghiệp có số liệu chưa khớp giữa các đơn vị: {earlier_problems} → {problems}")
    return lines


def dossier_key(fingerprint: str, member: Member, index: int, total: int) -> str:
    return f"{KEY_PREFIX}{fingerprint}:{member.email}:{index}of{total}"


def drafts_for(campaign: Campaign, dossier: Dossier, member: Member, now: dt.datetime) -> list[Draft]:
    """The member's mails: one per part, each with the cover note and its attachments."""
    env = environment(campaign.templates_dir)
    total = len(dossier.parts)
    out = []
    for index, part in enumerate(dossier.parts, start=1):
        context = {"campaign": campaign, "member": member, "dossier": dossier, "now": now.astimezone(campaign.tz),
                   "index": index, "total": total, "part": part,
                   "all_files": [a for p in dossier.parts for a in p]}
        out.append(Draft(kind="dossier", to=[member.email],
                         subject=" ".join(render(env, "dossier.subject.j2", context).split()),
                         text=render(env, "dossier.txt.j2", context),
                         attachments=[(a.filename, a.content_type, a.data) for a in part]))
    return out


@dataclass
class DossierResult:
    number: int
    fingerprint: str
    sent_to: list[str]          # members who got it now
    already_had: list[str]      # members who had it before
    mails: int

    def to_json(self) -> dict:
        return dict(vars(self))


def queue_dossier(campaign: Campaign, store, outbox, now: dt.datetime,
                  session: Session | None = None) -> DossierResult:
    """Queue the dossier for every member who does not have it yet, and record it (event
    `dossier`) the first time it goes out; one transaction (`session`, when given, is the
    caller's: a command's). The caller flushes the outbox. ValueError when the campaign file
    lists no member."""
    if not campaign.delegation:
        raise ValueError("the campaign file lists no [[delegation]] member: the dossier has nobody to go to")
    dossier = build_dossier(campaign, store, now)
    if session is not None:
        return _queue(campaign, store, outbox, dossier, now, session)
    with store.transaction() as s:
        return _queue(campaign, store, outbox, dossier, now, s)


def queue_scheduled_dossier(campaign: Campaign, store, outbox, now: dt.datetime) -> DossierResult | None:
    """The worker's part: on a day of `[dossier] send_on`, once its digest time has passed (or
    later, when the machine was off then), queue the dossier - once for that day, whether or not
    anything new was in it, so that a unit's new version on a later day waits for the next
    scheduled day or the secretary's command. None when no scheduled day is due."""
    local = now.astimezone(campaign.tz)
    due = [day for day in campaign.dossier_send_on
           if (day, campaign.digest_time) <= (local.date(), local.time().replace(tzinfo=None))]
    if not due or not campaign.delegation:
        return None
    day = max(due).isoformat()
    with store.transaction() as s:
        done = s.scalars(select(EventRow).where(EventRow.kind == SCHEDULED_EVENT_KIND)).all()
        if any((e.detail or {}).get("day") == day for e in done):
            return None
        result = queue_dossier(campaign, store, outbox, now, session=s)
        store.add_event(SCHEDULED_EVENT_KIND, {"day": day, "number": result.number, "sent_to": result.sent_to},
                        now, session=s)
        return result


def _queue(campaign: Campaign, store, outbox, dossier: Dossier, now: dt.datetime, s: Session) -> DossierResult:
    sent, had, mails = [], [], 0
    for member in campaign.delegation:
        prefix = f"{KEY_PREFIX}{dossier.fingerprint}:{member.email}:"
        if s.scalar(select(OutgoingRow.id).where(OutgoingRow.key.startswith(prefix)).limit(1)) is not None:
            had.append(member.email)
            continue
        drafts = drafts_for(campaign, dossier, member, now)
        for index, draft in enumerate(drafts, start=1):
            mails += outbox.queue(dossier_key(dossier.fingerprint, member, index, len(drafts)), draft, now, session=s)
        sent.append(member.email)
    known = any((e.detail or {}).get("fingerprint") == dossier.fingerprint
                for e in s.scalars(select(EventRow).where(EventRow.kind == EVENT_KIND)))
    if sent and not known:
        store.add_event(EVENT_KIND, {"number": dossier.number, "fingerprint": dossier.fingerprint,
                                     "manifest": dossier.manifest, "problems": dossier.problems,
                                     "parts": len(dossier.parts)}, now, session=s)
    return DossierResult(dossier.number, dossier.fingerprint, sent, had, mails)


def sample_dossier_mails(campaign: Campaign) -> list[Draft]:
    """The cover notes of a made-up dossier with something in every paragraph (two parts, a file
    too large, changes, a unit missing): what `intake-bot check` renders, so that a broken
    template fails at start-up rather than when the secretary asks for the dossier."""
    now = dt.datetime.combine(campaign.deadline, dt.time(17), tzinfo=campaign.tz)
    files = [Attachment("du-thao.docx", DOCX_MIME, b"x", "Dự thảo báo cáo tổng hợp"),
             Attachment("so-lieu.xlsx", XLSX_MIME, b"x", "Bảng tổng hợp số liệu")]
    units = list(campaign.units.values())
    dossier = Dossier(number=2, fingerprint="sample", manifest={}, problems=1, parts=[files[:1], files[1:]],
                      too_large=[Attachment("lon.pdf", "application/pdf", b"x", "Báo cáo lớn")],
                      changes=[f"{units[0].short_name} đã gửi bản mới: Báo cáo.docx (phiên bản 2)"],
                      previous_number=1, previous_at=now - dt.timedelta(days=1),
                      missing_units=[units[-1].short_name])
    member = campaign.delegation[0] if campaign.delegation else Member("Nguyễn Văn A", "Thành viên Đoàn", "a@invalid.vn")
    return drafts_for(campaign, dossier, member, now)


def describe(dossier: Dossier, campaign: Campaign) -> str:
    """`intake-bot dossier` without --send: what each member would get."""
    lines = [f"dossier {dossier.number} ({dossier.fingerprint}): {len(dossier.parts)} mail(s) per member, "
             f"cap {campaign.dossier_max_mb:g} MB"]
    for index, part in enumerate(dossier.parts, start=1):
        size = sum(a.mail_size for a in part) / 1024 / 1024
        lines.append(f"  ({index}/{len(dossier.parts)}) {size:.2f} MB: " + ", ".join(a.filename for a in part))
    lines += [f"  not attached, larger than the cap: {a.filename} ({len(a.data) / 1024 / 1024:.1f} MB)"
              for a in dossier.too_large]
    lines += [f"  changed: {line}" for line in dossier.changes]
    lines += [f"  to {m.name} <{m.email}>" for m in campaign.delegation]
    return "\n".join(lines)
