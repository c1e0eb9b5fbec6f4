"""Additional requests to a unit (YÊU CẦU BỔ SUNG; the plan: "Đoàn có thể yêu cầu báo cáo thêm").

Each request is its own item: the mail that asks (templates/request.*.j2, key `request:<#N>`)
and reminders planned from the request's own deadline with the campaign's reminder policy
(followup.schedule), each under `remind:<unit>:request-<#N>:<day>`, so never twice. A request
is answered by the unit's next mail that replies to the request mail or names its number
(commands.answer_requests); an answered request, an exempt or paused unit, gets no reminder.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from .config import Campaign, Unit
from .draft import Draft
from .templating import environment, render
from .workdays import WorkCalendar

KIND, REMINDER_KIND = "request", "reminder_request"


def request_draft(campaign: Campaign, unit: Unit, ref: int, text: str, deadline: dt.date, created: dt.datetime,
                  to: list[str], now: dt.datetime, slot=None, calendar: WorkCalendar | None = None) -> Draft:
    """The request mail (no `slot`), or its reminder on `slot`."""
    local = now.astimezone(campaign.tz)
    overdue = (calendar or WorkCalendar(campaign)).working_days_between(deadline, local.date()) if slot else 0
    context = {"campaign": campaign, "unit": unit, "ref": ref, "text": text, "deadline": deadline,
               "created": created.astimezone(campaign.tz), "now": local, "slot": slot, "days_overdue": overdue}
    env = environment(campaign.templates_dir)
    return Draft(kind=REMINDER_KIND if slot else KIND, to=list(to),
                 subject=" ".join(render(env, "request.subject.j2", context).split()),
                 text=render(env, "request.txt.j2", context), html=render(env, "request.html.j2", context),
                 unit=unit.id)


def due_request_reminders(campaign: Campaign, store, progress, now: dt.datetime,
                          calendar: WorkCalendar | None = None) -> list:
    """The reminders due at `now` for open requests of units that still take reminders."""
    from .followup import Reminder, slot_due, unit_recipients
    from .store import secretary

    calendar = calendar or WorkCalendar(campaign)
    by_unit = {p.unit: p for p in progress}
    refs = secretary.refs_of(store, "request")
    out = []
    for row in secretary.open_requests(store):
        p, unit = by_unit.get(row.unit), campaign.units.get(row.unit)
        if p is None or unit is None or not p.expects_reminders:
            continue
        slot = slot_due(dataclasses.replace(campaign, deadline=row.deadline), now, calendar)
        to = unit_recipients(unit, p)
        if slot is None or not to or slot.day == row.created_at.astimezone(campaign.tz).date():
            continue  # none due, nobody to write to, or the request itself went out today
        draft = request_draft(campaign, unit, refs[row.id], row.text, row.deadline, row.created_at, to, now,
                              slot=slot, calendar=calendar)
        mail = store.outgoing(row.outgoing_key) if row.outgoing_key else None
        if mail is not None:  # the reminder threads under the request mail
            draft.in_reply_to, draft.references = mail.message_id, [mail.message_id]
        out.append(Reminder(row.unit, REMINDER_KIND, slot, draft, request_ref=refs[row.id]))
    return out


def sample_request(campaign: Campaign) -> list[Draft]:
    """A request mail and a reminder of it, for `intake-bot check`."""
    from .followup import Slot

    unit = next(iter(campaign.units.values()))
    created = dt.datetime.combine(campaign.deadline, dt.time(9), campaign.tz)
    deadline = campaign.deadline + dt.timedelta(days=7)
    text = "Số liệu về diện tích đất đã cho thuê tại các cụm công nghiệp đến ngày 30/4/2024."
    later = created + dt.timedelta(days=10)
    return [request_draft(campaign, unit, 12, text, deadline, created, ["vanthu@example.vn"], created),
            request_draft(campaign, unit, 12, text, deadline, created, ["vanthu@example.vn"], later,
                          slot=Slot(later.date(), "reminder_overdue", 1))]
