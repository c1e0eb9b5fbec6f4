"""YÊU CẦU BỔ SUNG <đơn vị> <ngày>: <nội dung>: an additional request mailed to the unit, its
own item with its deadline and reminders (additional.py), closed by the unit's answer."""
from __future__ import annotations

import datetime as dt

from ..additional import request_draft
from ..store import secretary
from ..store.models import RequestRow
from ..vnformat import vn_date
from .base import Command, Effect, Refusal, register
from .review import unit_addresses
from .words import DATE_FILLERS, looks_like_date, parse_date, split_unit, without_filler


@register
class Request(Command):
    name, name_vi, order = "request", "YÊU CẦU BỔ SUNG", 65
    words = ("YÊU CẦU BỔ SUNG", "REQUEST")
    usage_vi = "YÊU CẦU BỔ SUNG <đơn vị> <ngày>: <nội dung>"
    example = "YÊU CẦU BỔ SUNG Văn Lâm 24/5: Số liệu diện tích đất đã cho thuê tại các CCN"
    summary_vi = "gửi đơn vị một yêu cầu báo cáo thêm, có hạn và thư nhắc riêng"

    def parse(self, rest, campaign):
        unit, tail = split_unit(rest, campaign, lambda name, tail: f"YÊU CẦU BỔ SUNG {name} {tail}")
        head, _, text = without_filler(tail, DATE_FILLERS).partition(" ")
        if head.endswith(":") is False and ":" in head:  # "24/5:Số liệu"
            head, _, more = head.partition(":")
            text = f"{more} {text}".strip()
        day = parse_date(head.rstrip(":"), campaign)
        text = text.strip().lstrip(":").strip()
        example = f"YÊU CẦU BỔ SUNG {unit.short_name} 24/5/{campaign.deadline.year}: <nội dung>"
        if day is None:
            why = "ngày không hợp lệ" if looks_like_date(head) else "thiếu hạn gửi"
            raise Refusal(f"{why}; viết: {example}", f"no valid date in {tail!r}", example)
        if not text:
            raise Refusal(f"thiếu nội dung yêu cầu sau dấu hai chấm; viết: {example}", "no request text", example)
        return {"unit": unit.id, "date": day.isoformat(), "text": text}

    def apply(self, inv):
        campaign = inv.ctx.campaign
        unit, day = campaign.units[inv.args["unit"]], dt.date.fromisoformat(inv.args["date"])
        today = inv.at.astimezone(campaign.tz).date()
        if day < today:
            raise Refusal(f"{vn_date(day)} đã qua; hạn gửi phải từ hôm nay trở đi", f"{day} is in the past")
        to = unit_addresses(inv, unit.id)
        if not to:
            raise Refusal(f"{unit.short_name} chưa có địa chỉ thư đăng ký; gửi THÊM ĐỊA CHỈ trước",
                          f"{unit.id} has no address")
        row = RequestRow(unit=unit.id, text=inv.args["text"], deadline=day, status="open", created_at=inv.at,
                         command_ref=inv.ref)
        inv.session.add(row)
        inv.session.flush()
        ref = secretary.new_ref(inv.session, "request", row.id, inv.at)
        row.outgoing_key = f"request:{ref}"
        draft = request_draft(campaign, unit, ref, row.text, day, inv.at, to, inv.at)
        inv.ctx.outbox.queue(row.outgoing_key, draft, inv.at, session=inv.session)
        return Effect(f"đã gửi yêu cầu bổ sung #{ref} tới {unit.short_name} ({', '.join(to)}), hạn {vn_date(day)}; "
                      "hệ thống nhắc theo hạn này cho đến khi đơn vị trả lời",
                      f"request #{ref} to {unit.id} by {day}", {"unit": unit.id, "request": row.id, "ref": ref})

    def undo(self, inv, data):
        row = inv.session.get_one(RequestRow, data["request"])
        if row.status == "answered":
            raise Refusal(f"yêu cầu #{data['ref']} đã được đơn vị trả lời", "the request is answered")
        row.status = "withdrawn"
        return Effect(f"yêu cầu #{data['ref']} được rút lại: không nhắc nữa (thư yêu cầu đã gửi thì không thu hồi được)",
                      f"request #{data['ref']} withdrawn")
