"""Reminders: which slot is due today, who gets what, and sending each exactly once.

The schedule comes from the campaign file's `[reminders]` policy, counted in working days
(workdays.py):

    reminder_before    `before_days` working days before the deadline (e.g. 3 and 1)
    reminder_due       the deadline itself, in the morning (`on_deadline`)
    reminder_overdue   every `overdue_every` working days after the deadline, at most
                       `overdue_max` times; from the `escalate_from`-th one on, the unit's
                       `leadership` addresses are copied (0 turns escalation off)

A slot whose day is a day off (only possible for a deadline on a day off) moves to the next
working day; two slots on one day merge into one, the later in the schedule (the more urgent
wording) winning, so no slot is lost and no unit gets two reminders on one day.

A slot is due from `reminder_time` on its day until the end of that day: a run at 08:00, or a
run at 15:00 after the machine was off in the morning, sends it. A slot whose whole day passed
without a run is not sent afterwards: the next slot supersedes it, so a machine that comes back
after a week sends one up-to-date reminder, never a burst of stale ones.

Who gets what on a slot day:

    not_received   the slot's reminder (before / due / overdue wording)
    incomplete     reminder_missing: a request to add the missing items, by the outline's titles
    scanned_only   reminder_docx: a request for the Word file, as the plan requires
    complete       nothing

A unit that sent something on the slot day itself (a report, a link, a note) is skipped that
day: the acknowledgement of that message has just told it what is missing. A reminder to a unit
with no report names what it did send: a link ("đã gửi đường liên kết …"), a note, the day it
promised the report for ("đã báo sẽ gửi …"). When every address of a unit has bounced (or it
has none), the secretary is told instead (`unit_unreachable`), naming the unit and the failed
addresses.

Each mail's outbox key is `remind:<unit>:<slot day>`; the outbox refuses a key twice, so two
runs in one slot, two overlapping workers, or a restart after a crash between queueing and
sending never send a reminder twice.

The campaign ends (`campaign_end`) on `[campaign] end`, by default a week after the last slot:
after that day no reminder and no digest goes out, so a worker forgotten on a server does not
write to the units and the secretary for ever. Late reports are still recorded and acknowledged.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import dataclass

from .config import Campaign, Unit
from .draft import Draft
from .lock import pass_lock
from .progress import (INCOMPLETE, NOT_RECEIVED, SCANNED_ONLY, ReceivedDocument, UnitNote, UnitProgress,
                       unit_progress)
from .store import secretary
from .templating import environment, render
from .workdays import WorkCalendar

BEFORE, DUE, OVERDUE = "reminder_before", "reminder_due", "reminder_overdue"
MISSING, DOCX, UNREACHABLE = "reminder_missing", "reminder_docx", "unit_unreachable"
REMINDER_KINDS = (BEFORE, DUE, OVERDUE, MISSING, DOCX, UNREACHABLE)
# How the digest names each kind for the secretary.
KIND_LABELS = {BEFORE: "Nhắc trước hạn", DUE: "Nhắc đúng hạn", OVERDUE: "Đôn đốc quá hạn",
               MISSING: "Đề nghị bổ sung nội dung", DOCX: "Đề nghị gửi bản Word",
               UNREACHABLE: "Báo thư ký: không gửi được thư nhắc",
               "reminder_request": "Nhắc yêu cầu báo cáo bổ sung", "reminder_now": "Nhắc theo lệnh của thư ký"}
KEY_PREFIX = "remind:"
# The default end of the campaign: this long after its last reminder slot.
AFTER_LAST_SLOT = dt.timedelta(days=7)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Slot:
    """One day of the schedule. `number` is the working days before the deadline for a
    `reminder_before`, 0 for `reminder_due`, the 1-based count for a `reminder_overdue`."""

    day: dt.date
    kind: str
    number: int = 0
    escalate: bool = False


@dataclass
class Reminder:
    """One mail of a slot, ready for the outbox under `key`."""

    unit: str
    kind: str
    slot: Slot
    draft: Draft
    request_ref: int | None = None  # the additional request it is about (additional.py)

    @property
    def key(self) -> str:
        if self.request_ref is not None:
            return f"{KEY_PREFIX}{self.unit}:request-{self.request_ref}:{self.slot.day.isoformat()}"
        return reminder_key(self.unit, self.slot.day)

    def to_json(self) -> dict:
        """One entry of `intake-bot remind --json` (`request`: the `#N` of the additional
        request a `reminder_request` is about)."""
        return {"unit": self.unit, "kind": self.kind, "to": list(self.draft.to),
                "cc": list(self.draft.cc), "subject": self.draft.subject,
                "slot": self.slot.day.isoformat(), "slot_kind": self.slot.kind,
                "slot_number": self.slot.number, "key": self.key,
                **({"request": self.request_ref} if self.request_ref is not None else {})}


def reminder_key(unit_id: str, day: dt.date) -> str:
    return f"{KEY_PREFIX}{unit_id}:{day.isoformat()}"


def schedule(campaign: Campaign, calendar: WorkCalendar | None = None) -> list[Slot]:
    """Every slot of the campaign, in date order, at most one per day (see the module docstring)."""
    calendar = calendar or WorkCalendar(campaign)
    policy, deadline = campaign.reminders, campaign.deadline
    planned = [Slot(calendar.add_working_days(deadline, -n), BEFORE, n)
               for n in sorted(set(policy.before_days), reverse=True) if n > 0]
    if policy.on_deadline:
        planned.append(Slot(calendar.on_or_after(deadline), DUE))
    for n in range(1, policy.overdue_max + 1):
        escalate = 0 < policy.escalate_from <= n
        planned.append(Slot(calendar.add_working_days(deadline, n * policy.overdue_every),
                            OVERDUE, n, escalate))
    by_day: dict[dt.date, Slot] = {}
    for slot in planned:  # planned is in schedule order: a later slot on the same day wins
        by_day[slot.day] = slot
    return sorted(by_day.values(), key=lambda s: s.day)


def campaign_end(campaign: Campaign, calendar: WorkCalendar | None = None) -> dt.date:
    """The last day of reminders and digests: `[campaign] end`, else a week after the last slot
    of the schedule (the deadline when there is none)."""
    if campaign.end:
        return campaign.end
    slots = schedule(campaign, calendar)
    return max([campaign.deadline, *(s.day for s in slots)]) + AFTER_LAST_SLOT


def campaign_over(campaign: Campaign, day: dt.date) -> bool:
    """Whether `day` is past the campaign's end: nothing more is sent for it."""
    return day > campaign_end(campaign)


def slot_due(campaign: Campaign, now: dt.datetime, calendar: WorkCalendar | None = None) -> Slot | None:
    """The slot due at `now`: today's, once the reminder time has passed, unless the campaign
    is over."""
    local = now.astimezone(campaign.tz)
    if local.time() < campaign.reminder_time or campaign_over(campaign, local.date()):
        return None
    return next((s for s in schedule(campaign, calendar) if s.day == local.date()), None)


def due_reminders(campaign: Campaign, progress: list[UnitProgress], now: dt.datetime,
                  calendar: WorkCalendar | None = None) -> list[Reminder]:
    """The mail of the slot due at `now`, one per unit that needs one; a unit's slots are
    planned from its own deadline when the secretary extended it (GIA HẠN)."""
    calendar = calendar or WorkCalendar(campaign)
    env = environment(campaign.templates_dir)
    local = now.astimezone(campaign.tz)
    reminders = []
    for p in progress:
        if not p.expects_reminders:
            continue  # exempt, received on paper, or paused by the secretary (commands/)
        own = campaign if p.deadline in (None, campaign.deadline) else dataclasses.replace(campaign, deadline=p.deadline)
        slot = slot_due(own, now, calendar)
        if slot is not None:
            reminders.append(reminder_for(env, own, calendar, slot, p, local))
    return [r for r in reminders if r is not None]


def sample_reminders(campaign: Campaign) -> list[Reminder]:
    """One mail of every kind, for the campaign's first unit with made-up progress around the
    deadline: what `intake-bot check` renders, so that a broken template fails at start-up
    rather than on a reminder morning."""
    calendar = WorkCalendar(campaign)
    env = environment(campaign.templates_dir)
    unit = next(iter(campaign.units.values()))
    outline = campaign.outline_of(unit.id)
    deadline = calendar.on_or_after(campaign.deadline)
    before, after = calendar.add_working_days(deadline, -1), calendar.add_working_days(deadline, 4)
    received = dt.datetime.combine(calendar.add_working_days(deadline, -3), campaign.reminder_time,
                                   tzinfo=campaign.tz)
    sent = ReceivedDocument("Báo cáo giám sát.docx", 2, "docx", received, "", None)
    missing = [outline.keys()[-1]] if outline else []
    cases = [
        (Slot(before, BEFORE, 1), UnitProgress(unit.id, NOT_RECEIVED)),
        (Slot(deadline, DUE), UnitProgress(unit.id, NOT_RECEIVED)),
        (Slot(after, OVERDUE, 2, escalate=True), UnitProgress(unit.id, NOT_RECEIVED, notes=[
            UnitNote(received, "Gửi link báo cáo", links=("https://drive.google.com/file/d/mau/view",)),
            UnitNote(received, "V/v gửi báo cáo", promised=calendar.add_working_days(deadline, 1))])),
        (Slot(before, BEFORE, 1), UnitProgress(unit.id, INCOMPLETE, received_at=received, version=2,
                                                last_received_at=received, missing=missing,
                                                latest_files=[sent])),
        (Slot(after, OVERDUE, 2), UnitProgress(unit.id, SCANNED_ONLY, received_at=received, version=2,
                                               last_received_at=received, latest_files=[sent])),
        (Slot(after, OVERDUE, 2), UnitProgress(unit.id, NOT_RECEIVED, bounced=unit.addresses)),
    ]
    reminders = [reminder_for(env, campaign, calendar, slot, p,
                           dt.datetime.combine(slot.day, campaign.reminder_time, tzinfo=campaign.tz))
                 for slot, p in cases]
    return [r for r in reminders if r is not None]


def reminder_for(env, campaign: Campaign, calendar: WorkCalendar, slot: Slot, p: UnitProgress,
              local_now: dt.datetime) -> Reminder | None:
    """What a unit gets in a slot (see the module docstring), or None."""
    unit = campaign.units.get(p.unit)
    kind = _kind_for(p, slot, local_now.date(), campaign)
    if unit is None or kind is None:
        return None
    to = unit_recipients(unit, p)
    if not to:
        if not campaign.secretary_email:
            return None  # nobody to tell; the digest's review list still names the unit
        kind = UNREACHABLE
    overdue = calendar.working_days_between(campaign.deadline, local_now.date())
    return Reminder(p.unit, kind, slot, _draft(env, campaign, unit, p, slot, kind, to, local_now, overdue))


def _kind_for(p: UnitProgress, slot: Slot, today: dt.date, campaign: Campaign) -> str | None:
    if any(n.received_at.astimezone(campaign.tz).date() == today for n in p.notes):
        return None  # its note or link was answered today
    if p.status == NOT_RECEIVED:
        return slot.kind
    if p.last_received_at and p.last_received_at.astimezone(campaign.tz).date() == today:
        return None
    return {INCOMPLETE: MISSING, SCANNED_ONLY: DOCX}.get(p.status)


def unit_recipients(unit: Unit, p: UnitProgress) -> list[str]:
    """The unit's registered addresses, plus the one its last report came from, minus those
    that bounced."""
    candidates = [*unit.addresses, *([p.last_sender.lower()] if p.last_sender else [])]
    bounced = {a.lower() for a in p.bounced}
    return [a for a in dict.fromkeys(candidates) if a not in bounced]


def _draft(env, campaign: Campaign, unit: Unit, p: UnitProgress, slot: Slot, kind: str,
           to: list[str], local_now: dt.datetime, days_overdue: int) -> Draft:
    outline = campaign.outline_of(unit.id)
    context = {
        "campaign": campaign,
        "unit": unit,
        "kind": kind,
        "slot": slot,
        "now": local_now,
        "status": p.status,
        "days_overdue": days_overdue,
        "received_at": p.received_at.astimezone(campaign.tz) if p.received_at else None,
        "version": p.version,
        "files": [{"filename": d.filename, "version": d.version, "scanned": d.scanned}
                  for d in p.latest_files],
        # What a unit with no report already sent: links, notes, a promised day.
        "notes": [{"received_at": n.received_at.astimezone(campaign.tz), "links": list(n.links),
                   "promised": n.promised, "subject": n.subject} for n in p.notes],
        "missing": [{"key": k, "title": outline.title_of(k) if outline else k} for k in p.missing],
        "bounced": list(p.bounced),
        "escalated": slot.escalate and bool(unit.leadership),
    }
    if kind == UNREACHABLE:
        to, cc = [campaign.secretary_email], []
    else:
        bounced = set(p.bounced)
        cc = [a for a in unit.leadership if a not in bounced and a not in to] if slot.escalate else []
    subject = " ".join(render(env, "reminder.subject.j2", context).split())
    return Draft(kind=kind, to=to, cc=cc, subject=subject,
                 text=render(env, "reminder.txt.j2", context),
                 html=render(env, "reminder.html.j2", context), unit=unit.id)


def run_reminders(campaign: Campaign, store, outbox, transport, now: dt.datetime,
                  dry_run: bool = False, caller_holds_lock: bool = False) -> list[dict]:
    """One reminder pass: the slot's mail as `intake-bot remind --json` prints it, each entry
    saying whether its key was already in the outbox before this pass (`already_in_outbox`).
    Unless `dry_run`, each new mail is queued under its key and the outbox is flushed, under
    the data directory's pass lock (lock.py) unless the caller already holds it; a dry run
    only reads, so it takes no lock and never waits for a running pass."""
    if campaign_over(campaign, now.astimezone(campaign.tz).date()):
        log.info("the campaign ended on %s: no reminder is sent", campaign_end(campaign).isoformat())
        return []
    campaign = secretary.with_overrides(campaign, store)
    if dry_run:
        reminders = _all_due(campaign, store, now)
        return [{**r.to_json(), "already_in_outbox": store.outgoing(r.key) is not None} for r in reminders]
    with nullcontext() if caller_holds_lock else pass_lock(store.data_dir):
        reminders = _all_due(campaign, store, now)
        report = [{**r.to_json(), "already_in_outbox": not outbox.queue(r.key, r.draft, now)}
                  for r in reminders]
        outbox.flush(transport, now)
    return report


def _all_due(campaign: Campaign, store, now: dt.datetime) -> list[Reminder]:
    """The slot's reminders and those of the additional requests (additional.py)."""
    from .additional import due_request_reminders

    progress = unit_progress(store, campaign, now)
    return due_reminders(campaign, progress, now) + due_request_reminders(campaign, store, progress, now)
