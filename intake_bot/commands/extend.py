"""GIA HẠN <đơn vị> <ngày>: the unit's own deadline; its reminders are planned from it."""
from __future__ import annotations

from ..store import secretary
from ..vnformat import vn_date
from .base import Command, Effect, Refusal, register, restore_override
from .words import DATE_FILLERS, looks_like_date, parse_date, split_unit, without_filler


@register
class Extend(Command):
    name, name_vi, order = "extend", "GIA HẠN", 60
    words = ("GIA HẠN", "EXTEND")
    usage_vi, example = "GIA HẠN <đơn vị> <ngày>", "GIA HẠN Văn Lâm 20/5/2024"
    summary_vi = "hạn nộp riêng của đơn vị; thư nhắc tính theo hạn mới"

    def parse(self, rest, campaign):
        unit, tail = split_unit(rest, campaign, lambda name, tail: f"GIA HẠN {name} {tail or '20/5/2024'}")
        tail = without_filler(tail, DATE_FILLERS)
        day = parse_date(tail, campaign)
        if day is None:
            why = "ngày không hợp lệ" if looks_like_date(tail) else "thiếu ngày"
            raise Refusal(f"{why} “{tail}”; ngày viết dạng 20/5/2024, 20/5 hoặc 2024-05-20",
                          f"no valid date in {tail!r}", f"GIA HẠN {unit.short_name} 20/5/{campaign.deadline.year}")
        return {"unit": unit.id, "date": day.isoformat()}

    def apply(self, inv):
        import datetime as dt

        campaign = inv.ctx.campaign
        unit, day = campaign.units[inv.args["unit"]], dt.date.fromisoformat(inv.args["date"])
        today = inv.at.astimezone(campaign.tz).date()
        if day < today:
            raise Refusal(f"{vn_date(day)} đã qua; hạn mới phải từ hôm nay trở đi",
                          f"{day} is in the past", f"GIA HẠN {unit.short_name} {today.day}/{today.month}/{today.year}")
        before = secretary.set_override(inv.session, unit.id, secretary.DEADLINE, day.isoformat(), inv.at)
        return Effect(f"hạn nộp của {unit.short_name} là {vn_date(day)}; thư nhắc đơn vị tính theo hạn này",
                      f"{unit.id} deadline {day}", {"unit": unit.id, "name": secretary.DEADLINE, "before": before, "after": day.isoformat()})

    def undo(self, inv, data):
        return restore_override(inv, data)
