"""NHẮC NGAY <đơn vị>: one reminder to the unit now, with what it still owes. It counts among
its reminders; its key names the minute, so it never goes twice in the same minute."""
from __future__ import annotations

import dataclasses

from ..followup import BEFORE, DUE, KEY_PREFIX, OVERDUE, Slot, reminder_for
from ..progress import unit_progress
from ..templating import environment
from ..workdays import WorkCalendar
from .base import Command, Effect, Refusal, register
from .words import resolve_unit

NOT_OWED = {"complete": "đã gửi đủ báo cáo", "exempt": "được miễn gửi báo cáo",
            "received_offline": "đã nộp báo cáo bản giấy"}


@register
class RemindNow(Command):
    name, name_vi, order = "remind_now", "NHẮC NGAY", 75
    words = ("NHẮC NGAY", "REMIND", "REMIND NOW")
    usage_vi, example = "NHẮC NGAY <đơn vị>", "NHẮC NGAY Mỹ Hào"
    summary_vi = "gửi ngay một thư nhắc tới đơn vị, nêu những gì đơn vị còn thiếu"

    def parse(self, rest, campaign):
        return {"unit": resolve_unit(rest, campaign, lambda name: f"NHẮC NGAY {name}").id}

    def apply(self, inv):
        campaign, store = inv.ctx.campaign, inv.ctx.store
        unit = campaign.units[inv.args["unit"]]
        p = next(p for p in unit_progress(store, campaign, inv.at) if p.unit == unit.id)
        if p.status in NOT_OWED:
            raise Refusal(f"{unit.short_name} {NOT_OWED[p.status]}, không cần nhắc", f"{unit.id} is {p.status}")
        local = inv.at.astimezone(campaign.tz)
        key = f"{KEY_PREFIX}{unit.id}:now:{local:%Y-%m-%dT%H:%M}"
        if store.outgoing(key) is not None:
            raise Refusal(f"vừa gửi thư nhắc {unit.short_name} trong phút này", "already reminded this minute")
        own = dataclasses.replace(campaign, deadline=p.deadline or campaign.deadline)
        calendar = WorkCalendar(own)
        today = local.date()
        if today < own.deadline:
            slot = Slot(today, BEFORE, calendar.working_days_between(today, own.deadline))
        elif today == own.deadline:
            slot = Slot(today, DUE)
        else:
            slot = Slot(today, OVERDUE, p.reminders_sent + 1)
        reminder = reminder_for(environment(campaign.templates_dir), own, calendar, slot, p, local)
        if reminder is None:
            raise Refusal(f"{unit.short_name} vừa gửi thư hôm nay; thư báo nhận đã nêu những gì còn thiếu",
                          f"{unit.id} wrote today")
        inv.ctx.outbox.queue(key, reminder.draft, inv.at, session=inv.session)
        return Effect(f"đã gửi thư nhắc tới {unit.short_name} ({', '.join(reminder.draft.to)}): "
                      f"“{reminder.draft.subject}”", f"reminder {reminder.kind} to {unit.id} now")
