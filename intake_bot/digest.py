"""The secretary's daily digest: where every unit stands, what came in, what needs her eyes.

One mail a working day at `digest_time` (HTML and plain text, from templates/digest.*.j2), with
the consolidated workbook attached (workbook.py). Its outbox key is `digest:<day>`, where the
day is the latest working day whose digest time has passed (`digest_day`): a digest missed while
the machine was off is sent once when it comes back, and a day off adds none (its key is the
last working day's, already sent).

"Since the last digest" means since the previous digest mail was queued, or since the campaign
start before the first one.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from .categories import (ACKNOWLEDGE, AUTO_REPLY, BOUNCE, EXECUTE_COMMANDS, LINK_ONLY, NO_ATTACHMENT, OTHER,
                         REPORT, REVIEW, UNMATCHED, UNSUPPORTED, WITHOUT_REPORT)
from .commands import DONE, Context, SourceRef, execute, record_refused
from .config import Campaign
from .draft import Draft
from .followup import KEY_PREFIX as REMINDER_KEY_PREFIX
from .followup import campaign_end, campaign_over
from .followup import KIND_LABELS as REMINDER_LABELS
from .health import MailboxHealth, digest_entries
from .outbox import Outbox
from .progress import (COMPLETE, EXEMPT, RECEIVED_OFFLINE, SCANNED_ONLY, STATUS_LABELS,
                       STATUSES, UnitProgress, unit_progress)
from .reader.model import Extraction
from .reconcile import problem_lines_vi, reconcile
from .reader.schema import sample_row
from .store import secretary
from .store.db import NewDocument, NewMessage, NewOutgoing, Store
from .store.models import OutgoingRow
from .templating import environment, render
from .workbook import XLSX_MIME, build_workbook
from .workdays import WorkCalendar

log = logging.getLogger(__name__)
# The sample digest's made-up mailbox failures (`check`) must not reach the operator's log.
SILENT = logging.getLogger("intake_bot.sample")
SILENT.propagate = False
SILENT.addHandler(logging.NullHandler())

KEY_PREFIX = "digest:"
# Nothing more is owed by a unit in these states: never counted overdue.
SETTLED = (COMPLETE, EXEMPT, RECEIVED_OFFLINE)
CATEGORY_LABELS = {
    REPORT: "Báo cáo", UNMATCHED: "Chưa xác định được đơn vị gửi",
    NO_ATTACHMENT: "Không có tệp đính kèm", LINK_ONLY: "Chỉ gửi đường liên kết",
    UNSUPPORTED: "Tệp không đọc được", AUTO_REPLY: "Thư trả lời tự động",
    BOUNCE: "Thư báo không chuyển được", OTHER: "Thư khác",
}
OUTGOING_STATE_LABELS = {"queued": "đang chờ gửi", "sending": "đang gửi", "sent": "đã gửi",
                         "failed": "gửi không thành công", "unknown": "chưa rõ đã gửi được hay chưa"}
# A unit's messages that wait in the review queue, as its row in the digest names them.
WAITING_LABELS = {"link_only": "đường liên kết", "no_attachment": "thư không kèm tệp báo cáo",
                  "bounce": "thư báo không chuyển được"}
UNDELIVERED_LABELS = {"failed": "Thư gửi đi không thành công",
                      "unknown": "Thư gửi đi chưa rõ đã tới nơi hay chưa"}
# What the secretary may do about each, before the technical reason (outbox.py's rules).
UNDELIVERED_ADVICE = {
    "failed": "máy chủ thư từ chối hẳn thư này nên hệ thống không gửi lại; đề nghị đồng chí kiểm tra "
              "địa chỉ người nhận và liên hệ đơn vị bằng cách khác nếu cần",
    "unknown": "hệ thống bị ngắt đúng lúc đang gửi nên không rõ thư đã tới hay chưa; để tránh gửi "
               "trùng, thư không được gửi lại; đề nghị đồng chí hỏi lại người nhận và gửi lại nếu họ "
               "chưa nhận được"}


@dataclass
class Digest:
    day: dt.date
    subject: str
    text: str
    html: str
    workbook_bytes: bytes
    filename: str

    @property
    def key(self) -> str:
        return digest_key(self.day)


def digest_key(day: dt.date) -> str:
    return f"{KEY_PREFIX}{day.isoformat()}"


def digest_day(campaign: Campaign, now: dt.datetime, calendar: WorkCalendar | None = None) -> dt.date:
    """The working day whose digest is due at `now`: today once its digest time has passed,
    else the previous working day."""
    calendar = calendar or WorkCalendar(campaign)
    local = now.astimezone(campaign.tz)
    today = local.date()
    if calendar.is_working_day(today) and local.time() >= campaign.digest_time:
        return today
    return calendar.previous_working_day(today)


def build_digest(campaign: Campaign, store, now: dt.datetime, since: dt.datetime | None = None) -> Digest:
    """The digest as of `now`, covering arrivals and reminders since `since` (default: the
    previous digest, see the module docstring)."""
    calendar = WorkCalendar(campaign)
    since = since or _previous_digest_at(store, now) or dt.datetime.combine(
        campaign.start, dt.time(), tzinfo=campaign.tz)
    progress = unit_progress(store, campaign, now, calendar)
    day = digest_day(campaign, now, calendar)
    filename = f"{campaign.id}-tong-hop-{now.astimezone(campaign.tz):%Y-%m-%d}.xlsx"
    context = _context(campaign, store, progress, now, since, calendar, filename)
    env = environment(campaign.templates_dir)
    return Digest(
        day=day,
        subject=" ".join(render(env, "digest.subject.j2", context).split()),
        text=render(env, "digest.txt.j2", context),
        html=render(env, "digest.html.j2", context),
        workbook_bytes=build_workbook(campaign, progress, now),
        filename=filename,
    )


def write_digest(digest: Digest, out_dir: str | Path) -> list[Path]:
    """Write digest.html, digest.txt and the workbook into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [(out / "digest.html", digest.html.encode("utf-8")),
             (out / "digest.txt", digest.text.encode("utf-8")),
             (out / digest.filename, digest.workbook_bytes)]
    for path, data in files:
        path.write_bytes(data)
    return [path for path, _ in files]


def queue_digest(campaign: Campaign, store, outbox, now: dt.datetime) -> Digest | None:
    """Build and queue the digest of `digest_day(now)` for the secretary, unless that day's
    digest is already in the outbox or the day is before the campaign start or after its end
    (None then). The caller flushes the outbox. Raises ValueError when the campaign file gives
    no secretary address."""
    if not campaign.secretary_email:
        raise ValueError("the campaign file has no [secretary] email: the digest has nowhere to go")
    day = digest_day(campaign, now)
    if campaign_over(campaign, day):
        log.info("the campaign ended on %s: no digest is sent", campaign_end(campaign).isoformat())
        return None
    if day < campaign.start or store.outgoing(digest_key(day)) is not None:
        return None
    digest = build_digest(campaign, store, now)
    draft = Draft(kind="digest", to=[campaign.secretary_email], subject=digest.subject,
                  text=digest.text, html=digest.html,
                  attachments=[(digest.filename, XLSX_MIME, digest.workbook_bytes)])
    return digest if outbox.queue(digest.key, draft, now) else None


def sample_digest(campaign: Campaign) -> Digest:
    """A digest with something in every section, built from made-up mail in a throw-away SQLite
    store: what `intake-bot check` renders, so that a broken digest template fails at start-up
    rather than at the evening send."""
    calendar = WorkCalendar(campaign)
    deadline = calendar.on_or_after(campaign.deadline)
    now = dt.datetime.combine(calendar.add_working_days(deadline, 2), campaign.digest_time, tzinfo=campaign.tz)
    earlier = now - dt.timedelta(hours=6)
    first, *others = campaign.units.values()
    outline = campaign.outline_of(first.id)
    keys = outline.keys() if outline else []
    report = Extraction(
        file="Báo cáo giám sát.docx", format="docx", unit=first.id,
        outline={"id": outline.id, "present": keys[:-2], "missing": keys[-2:]} if outline else None,
        tables=[sample_row(campaign.appendix)],
        warnings=["group I: the area differs from the sum of its rows"],
        warnings_vi=["Tổng diện tích nhóm I khác tổng các dòng."]).to_json()
    mail = [(first, REPORT, report), (None, UNMATCHED, {**report, "unit": None})]
    if others:  # the same cluster with another area: a disagreement between units
        mail.append((others[-1], REPORT, {**report, "unit": others[-1].id,
                                            "tables": [{**report["tables"][0], "area_ha": 1240.0}]}))
    with tempfile.TemporaryDirectory(prefix="intake-bot-sample-") as folder:
        store = Store(folder, url=f"sqlite:///{Path(folder) / 'sample.db'}")
        try:
            for n, (unit, category, extraction) in enumerate(mail):
                raw = store.archive.put(f"sample {n}".encode())
                store.record(
                    NewMessage(source_key=f"sample:{n}", raw_sha256=raw, message_id=f"<sample{n}@invalid>",
                               sender=(unit.addresses[0] if unit and unit.addresses else "sender@invalid"),
                               subject="V/v gửi báo cáo giám sát", received_at=earlier, category=category,
                               action=REVIEW if unit is None else ACKNOWLEDGE,
                               unit=unit.id if unit else None, reasons=["sample"],
                               decision={"reasons_vi": ["Mẫu: không xác định được đơn vị gửi"]},
                               review_state=None if unit else "open"),
                    [NewDocument(sha256=raw, filename=extraction["file"], unit=unit.id if unit else None,
                                 version=1 if unit else None, part=1 if unit else None, duplicate_of=None,
                                 extraction=extraction,
                                 format="docx")], [], [], earlier)
            if others:
                store.add_event("bounce", {"addresses": ["unit@invalid"]}, earlier, unit=others[0].id)
            key = f"{REMINDER_KEY_PREFIX}{first.id}:sample"
            with store.transaction() as s:
                store.queue_outgoing(s, NewOutgoing(
                    key=key, kind="reminder_overdue", to=list(first.addresses[:1]) or ["unit@invalid"],
                    subject="Đôn đốc gửi báo cáo", text=".", message_id="<sample@invalid>", unit=first.id),
                    earlier)
            store.set_outgoing_state(store.outgoing(key).id, "failed", error="550 5.1.1 sample")
            health, outbox = MailboxHealth(store, campaign, log=SILENT), Outbox(store, campaign)
            health.failed("sample: connection refused", earlier - dt.timedelta(minutes=30), outbox)
            health.recovered(earlier - dt.timedelta(minutes=20), outbox)
            health.failed("sample: login failed", earlier, outbox)
            _sample_commands(campaign, store, outbox, earlier)
            return build_digest(campaign, store, now, since=earlier - dt.timedelta(hours=1))
        finally:
            store.close()


def _sample_commands(campaign: Campaign, store, outbox, at: dt.datetime) -> None:
    """A command done, and a stranger's command line refused, for the sample digest."""
    context = Context(campaign, store, outbox, at)
    execute(context, ["TẠM DỪNG NHẮC"], campaign.secretary_email or "thuky@invalid", at)
    stranger_mail = store.messages()[-1]
    record_refused(context, ["MIỄN Văn Lâm"], stranger_mail.sender, at, SourceRef(stranger_mail.id, stranger_mail.message_id),
                   "the sender may not give commands", "người gửi không có quyền ra lệnh")


# ------------------------------------------------------------------ facts for the templates


def _previous_digest_at(store, now: dt.datetime) -> dt.datetime | None:
    with store.transaction() as s:
        return s.scalar(select(func.max(OutgoingRow.created_at)).where(
            OutgoingRow.key.startswith(KEY_PREFIX), OutgoingRow.created_at < now))


def _context(campaign: Campaign, store, progress: list[UnitProgress], now: dt.datetime,
             since: dt.datetime, calendar: WorkCalendar, filename: str) -> dict:
    tz = campaign.tz
    local_now = now.astimezone(tz)
    past_deadline = local_now.date() > campaign.deadline
    names = {uid: u.short_name for uid, u in campaign.units.items()}
    secretary.ensure_refs(store, now)
    commands = _commands(campaign, store, since, tz)
    by_status = {status: sum(p.status == status for p in progress) for status in STATUSES}
    queue = store.review_queue()
    waiting: dict[str, list] = {}
    for item in queue:
        if item.unit and item.category in WAITING_LABELS:
            waiting.setdefault(item.unit, []).append(item)
    return {
        "campaign": campaign,
        "now": local_now,
        "since": since.astimezone(tz),
        "deadline_passed": past_deadline,
        "working_days_after_deadline": calendar.working_days_between(campaign.deadline, local_now.date()),
        "counts": {**by_status, "total": len(progress),
                   "overdue": sum(p.status not in SETTLED for p in progress) if past_deadline else 0},
        "units": [_unit_line(campaign, p, waiting.get(p.unit, []), tz) for p in progress],
        "arrivals": _arrivals(store, since, names, tz),
        "review": _review(campaign, queue, store, progress, names, tz),
        "commands": commands[0], "refused_commands": commands[1],
        "reminders": _reminders(store, since, names, tz),
        "warnings": [{"unit": names.get(p.unit, p.unit), "filename": doc.filename, "version": doc.version,
                      "text": text} for p in progress for doc, text in p.warnings],
        "mailbox": _mailbox(store, since, now, tz),
        "mismatches": [{"name": zone.name, "lines": problem_lines_vi(campaign, zone)}
                       for zone in reconcile(campaign, progress).problems],
        "filename": filename,
    }


def _unit_line(campaign: Campaign, p: UnitProgress, waiting: list, tz) -> dict:
    """One unit's row; `waiting` says which of its messages wait in the review queue (a link, a
    note, a bounce), so that the row tells the secretary there is more than its status."""
    unit = campaign.units[p.unit]
    outline = campaign.outline_of(p.unit)
    return {
        "id": p.unit, "name": unit.short_name, "status": p.status,
        "status_label": STATUS_LABELS[p.status],
        "received_at": p.received_at.astimezone(campaign.tz) if p.received_at else None,
        "last_received_at": p.last_received_at.astimezone(campaign.tz) if p.last_received_at else None,
        "version": p.version,
        "missing": [{"key": k, "title": outline.title_of(k) if outline else k} for k in p.missing],
        "appendix_rows": p.appendix_rows, "reminders_sent": p.reminders_sent,
        "days_late": p.days_late, "bounced": list(p.bounced),
        "waiting": [{"what": WAITING_LABELS[item.category], "when": item.received_at.astimezone(tz)}
                    for item in waiting],
    }


def _arrivals(store, since: dt.datetime, names: dict, tz) -> list[dict]:
    """Mail recorded since `since`, each file with its version, or why it cannot be read in the
    words the sender was given (the extraction's `error_vi`). Recorded, not arrived: mail that
    reached the server during an outage, before the previous digest, is still news; it shows
    its arrival time. The bot's own mail (its digest, back in the committee mailbox) is none."""
    documents: dict[int, list] = {}
    for doc in store.documents():
        documents.setdefault(doc.message_row_id, []).append(doc)
    return [{
        "received_at": m.received_at.astimezone(tz), "sender": m.sender, "subject": m.subject,
        "unit": names.get(m.unit, m.unit) if m.unit else None,
        "category": m.category,
        "category_label": ("Thư ra lệnh" if m.action == EXECUTE_COMMANDS else CATEGORY_LABELS.get(m.category, m.category)),
        "files": [{"filename": d.filename, "version": d.version,
                   "duplicate": d.duplicate_of is not None, "problem": _problem_vi(d)}
                  for d in documents.get(m.id, [])],
    } for m in sorted(store.messages(), key=lambda m: m.received_at)
        if m.recorded_at >= since and not (m.decision or {}).get("own_mail")]


def _problem_vi(document) -> str | None:
    """Why a stored file cannot be read, in Vietnamese; the English error only for a file
    recorded without the Vietnamese."""
    if document.error is None:
        return None
    return (document.extraction or {}).get("error_vi") or document.error


def _review(campaign: Campaign, queue: list, store, progress: list[UnitProgress], names: dict, tz) -> list[dict]:
    """What needs the secretary: messages held for review (`queue`), scanned-only units, bounced
    addresses, and mail the outbox could not deliver. A message's reasons are the Vietnamese
    ones classify and the pass gave; only a message recorded before these were kept shows the
    English. Messages and undelivered mail carry their reference `#N` and the command lines she
    may copy into her reply (`actions`); a link-only message its links to open (http and https
    only). A bounce is shown under the unit and the address that failed, not the mail server
    that reports it; a unit's failed address it shows is not listed again."""
    message_refs, outgoing_refs = secretary.refs_of(store, "message"), secretary.refs_of(store, "outgoing")
    items = [{"what": CATEGORY_LABELS.get(r.category, r.category),
              "who": _review_who(r, names),
              "when": r.received_at.astimezone(tz), "subject": r.subject, "reasons": r.reasons_vi or r.reasons,
              "links": [link for link in r.links if web_link(link)],
              "ref": message_refs.get(r.message_row_id),
              "actions": _message_actions(campaign, message_refs.get(r.message_row_id), r)}
             for r in queue]
    shown = {address for r in queue for address in r.bounced_addresses}
    for p in progress:
        if p.status == SCANNED_ONLY:
            items.append({"what": STATUS_LABELS[SCANNED_ONLY], "who": names[p.unit], "links": [],
                          "when": p.last_received_at.astimezone(tz), "subject": "",
                          "reasons": ["chưa có bản Word để tổng hợp số liệu: "
                                      + ", ".join(d.filename for d in p.latest_files)],
                          "ref": None, "actions": []})
        bounced = [a for a in p.bounced if a not in shown]
        if bounced:
            items.append({"what": "Địa chỉ thư bị trả lại", "who": names[p.unit], "when": None, "links": [],
                          "subject": "", "reasons": [f"không chuyển được thư tới {a}" for a in bounced],
                          "ref": None, "actions": [("Thêm địa chỉ khác của đơn vị",
                                                    f"THÊM ĐỊA CHỈ {names[p.unit]} <địa chỉ thư>")]})
    for row in store.outgoing_in_states("failed", "unknown"):
        ref = outgoing_refs.get(row.id)
        items.append({"what": UNDELIVERED_LABELS[row.state],
                      "who": ", ".join(row.to), "when": row.created_at.astimezone(tz), "links": [],
                      "subject": row.subject,
                      "reasons": [UNDELIVERED_ADVICE[row.state],
                                  *([f"máy chủ thư báo: {row.last_error}"] if row.last_error else [])],
                      "ref": ref,
                      "actions": [("Gửi lại", f"GỬI LẠI #{ref}"), ("Đã xử lý xong", f"ĐÓNG #{ref}")] if ref else []})
    return items


def _message_actions(campaign: Campaign, ref: int | None, item) -> list[tuple[str, str]]:
    """The ready-made lines for a message in review: assign it to the unit it may be from (each
    candidate, else the unit's name to fill in), or dismiss it; for a unit's mail without a
    report, mark the paper copy; for the bounce of a unit's address, add another address."""
    if ref is None:
        return []
    candidates = [campaign.units[u].short_name for u in item.candidates if u in campaign.units]
    unit = campaign.units.get(item.unit or "")
    actions = []
    if item.category in (UNMATCHED, *WITHOUT_REPORT) or unit is None:
        for name in candidates or [unit.short_name if unit else "<tên đơn vị>"]:
            actions.append(("Gán cho đơn vị", f"GÁN #{ref} {name}"))
    if unit is not None and item.category in WITHOUT_REPORT:
        actions.append(("Đơn vị đã nộp bản giấy", f"ĐÃ NHẬN BẢN GIẤY {unit.short_name}"))
    if unit is not None and item.bounced_addresses:
        actions.append(("Thêm địa chỉ khác của đơn vị", f"THÊM ĐỊA CHỈ {unit.short_name} <địa chỉ thư>"))
    actions.append(("Bỏ qua", f"BỎ QUA #{ref} <lý do>"))
    return actions


def _commands(campaign: Campaign, store, since: dt.datetime, tz) -> tuple[list[dict], list[dict]]:
    """The commands given since `since` (who, when, the line, what it did), and apart from them
    the command lines of mail that may not command (not a commander, or a forged one), which
    were not obeyed."""
    given, refused_mail = [], []
    actions = {m.id: m.action for m in store.messages()}
    for row in secretary.commands(store, since):
        entry = {"ref": row.ref, "at": row.at.astimezone(tz), "from": row.commander,
                 "name": campaign.commanders.get(row.commander, ""), "line": row.line, "done": row.result == DONE,
                 "effect": row.effect, "via": row.via}
        source_action = actions.get(row.source_message_row_id)
        (given if source_action in (None, EXECUTE_COMMANDS) else refused_mail).append(entry)
    return given, refused_mail


def web_link(url: str) -> bool:
    """Whether a link a sender wrote may be made clickable: http or https with a host, nothing
    else (no javascript:, data:, file:)."""
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _review_who(item, names: dict) -> str:
    """Whom a review item concerns: for a bounce, the unit and its failed addresses
    ("UBND huyện Văn Lâm (ubnd.vanlam@…)"); else the unit, or the sender when none is known."""
    unit = names.get(item.unit, item.unit) if item.unit else None
    if item.bounced_addresses:
        addresses = ", ".join(item.bounced_addresses)
        return f"{unit} ({addresses})" if unit else addresses
    return unit or item.sender


def _mailbox(store, since: dt.datetime, now: dt.datetime, tz) -> list[dict]:
    """The mailbox's trouble (health.py): still unreachable, or unreachable for a while since the
    previous digest; local times."""
    return [{**entry, "since": entry["since"].astimezone(tz),
             "until": entry["until"].astimezone(tz) if entry["until"] else None}
            for entry in digest_entries(store, since, now)]


def _reminders(store, since: dt.datetime, names: dict, tz) -> list[dict]:
    with store.transaction() as s:
        rows = s.scalars(select(OutgoingRow).where(OutgoingRow.key.startswith(REMINDER_KEY_PREFIX),
                                                   OutgoingRow.created_at >= since)
                         .order_by(OutgoingRow.created_at, OutgoingRow.id)).all()
    return [{"unit": names.get(r.unit, r.unit), "kind": r.kind,
             "kind_label": REMINDER_LABELS.get(r.kind, r.kind), "to": list(r.to), "cc": list(r.cc or []),
             "at": (r.sent_at or r.created_at).astimezone(tz), "state": r.state,
             "state_label": OUTGOING_STATE_LABELS.get(r.state, r.state)} for r in rows]
