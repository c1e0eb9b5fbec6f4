"""THÊM ĐỊA CHỈ <đơn vị> <email>: a registered address for the unit, kept in the database: used
to match its mail, to send it reminders, shown by `status`."""
from __future__ import annotations

from ..store import secretary
from .base import Command, Effect, Refusal, register
from .words import EMAIL, split_unit


@register
class Address(Command):
    name, name_vi, order = "address", "THÊM ĐỊA CHỈ", 90
    words = ("THÊM ĐỊA CHỈ", "ADDRESS")
    usage_vi, example = "THÊM ĐỊA CHỈ <đơn vị> <email>", "THÊM ĐỊA CHỈ Văn Lâm vanphong.vanlam@gmail.com"
    summary_vi = "đăng ký thêm một địa chỉ thư của đơn vị"

    def parse(self, rest, campaign):
        unit, tail = split_unit(rest, campaign, lambda name, tail: f"THÊM ĐỊA CHỈ {name} {tail}".strip())
        m = EMAIL.match(tail.strip())
        if not m:
            raise Refusal(f"“{tail}” không phải một địa chỉ thư (ví dụ: {self.example})",
                          f"{tail!r} is not an address", f"THÊM ĐỊA CHỈ {unit.short_name} ten@vi-du.gov.vn")
        return {"unit": unit.id, "address": m[1].lower()}

    def apply(self, inv):
        campaign = inv.ctx.campaign
        unit, address = campaign.units[inv.args["unit"]], inv.args["address"]
        for other in campaign.units.values():
            added = secretary.get_override(inv.session, other.id, secretary.ADDRESSES) or []
            if address in (*other.addresses, *added):
                where = "của chính đơn vị này" if other.id == unit.id else f"của {other.short_name}"
                raise Refusal(f"{address} đã là địa chỉ đăng ký {where}", f"{address} already registered to {other.id}")
        current = list(secretary.get_override(inv.session, unit.id, secretary.ADDRESSES) or [])
        secretary.set_override(inv.session, unit.id, secretary.ADDRESSES, current + [address], inv.at)
        return Effect(f"đã đăng ký {address} là địa chỉ của {unit.short_name}",
                      f"{address} registered to {unit.id}", {"unit": unit.id, "address": address})

    def undo(self, inv, data):
        """Only this address goes: one added later stays."""
        current = secretary.get_override(inv.session, data["unit"], secretary.ADDRESSES) or []
        remaining = [a for a in current if a != data["address"]]
        secretary.set_override(inv.session, data["unit"], secretary.ADDRESSES, remaining or None, inv.at)
        return Effect(f"{data['address']} không còn là địa chỉ đăng ký của "
                      f"{inv.ctx.campaign.units[data['unit']].short_name}", f"{data['address']} unregistered")
