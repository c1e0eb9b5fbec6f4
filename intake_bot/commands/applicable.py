"""KHÔNG ÁP DỤNG / ÁP DỤNG <đơn vị> <mục>: an outline item the unit is not expected to report
on (no longer missing, no reminder asks for it), and back."""
from __future__ import annotations

from ..store import secretary
from .base import Command, Effect, Refusal, register
from .words import resolve_item, split_unit


class _Item(Command):
    def parse(self, rest, campaign):
        unit, tail = split_unit(rest, campaign, lambda name, tail: f"{self.name_vi} {name} {tail or 'II.3'}")
        # The whole outline: an item already excused must still be found (ÁP DỤNG).
        outline = campaign.outlines.get(unit.outline or "")
        if outline is None:
            raise Refusal(f"{unit.short_name} không có đề cương báo cáo", f"{unit.id} has no outline")
        item = resolve_item(tail, outline, unit, f"{self.name_vi} {unit.short_name} {outline.items[-1].key}")
        return {"unit": unit.id, "item": item.key}

    def undo(self, inv, data):
        """Only this command's item comes back (or goes): a later command about another item stays."""
        current = list(secretary.get_override(inv.session, data["unit"], secretary.NOT_APPLICABLE) or [])
        key, excused = data["item"], data["excused"]
        if (key in current) == excused:
            current = [k for k in current if k != key] if excused else current + [key]
        secretary.set_override(inv.session, data["unit"], secretary.NOT_APPLICABLE, current or None, inv.at)
        state = "lại áp dụng" if excused else "không áp dụng"
        return Effect(f"mục {key} {state} cho {inv.ctx.campaign.units[data['unit']].short_name}",
                      f"{key} {'applicable' if excused else 'not applicable'} again")

    def _describe(self, inv) -> tuple:
        campaign = inv.ctx.campaign
        unit = campaign.units[inv.args["unit"]]
        key = inv.args["item"]
        current = list(secretary.get_override(inv.session, unit.id, secretary.NOT_APPLICABLE) or [])
        return unit, key, f"mục {key} ({campaign.outlines[unit.outline].title_of(key)})", current


@register
class NotApplicable(_Item):
    name, name_vi, order = "not_applicable", "KHÔNG ÁP DỤNG", 80
    words = ("KHÔNG ÁP DỤNG", "NOT APPLICABLE")
    usage_vi, example = "KHÔNG ÁP DỤNG <đơn vị> <mục>", "KHÔNG ÁP DỤNG Văn Lâm II.3"
    summary_vi = "đơn vị không phải báo cáo mục này của đề cương (theo số mục hoặc tên mục)"

    def apply(self, inv):
        unit, key, label, current = self._describe(inv)
        if key in current:
            raise Refusal(f"{label} đã không áp dụng cho {unit.short_name} từ trước", f"{key} already n/a")
        secretary.set_override(inv.session, unit.id, secretary.NOT_APPLICABLE, current + [key], inv.at)
        return Effect(f"{label} không áp dụng cho {unit.short_name}: không còn tính là thiếu, thư nhắc không đề nghị bổ sung",
                      f"{key} not applicable to {unit.id}",
                      {"unit": unit.id, "item": key, "excused": True})


@register
class Applicable(_Item):
    name, name_vi, order = "applicable", "ÁP DỤNG", 81
    words = ("ÁP DỤNG", "APPLICABLE")
    usage_vi, example = "ÁP DỤNG <đơn vị> <mục>", "ÁP DỤNG Văn Lâm II.3"
    summary_vi = "mục đó lại được yêu cầu với đơn vị"

    def apply(self, inv):
        unit, key, label, current = self._describe(inv)
        if key not in current:
            raise Refusal(f"{label} vẫn đang áp dụng cho {unit.short_name}", f"{key} is applicable")
        remaining = [k for k in current if k != key]
        secretary.set_override(inv.session, unit.id, secretary.NOT_APPLICABLE, remaining or None, inv.at)
        return Effect(f"{label} lại áp dụng cho {unit.short_name}", f"{key} applicable to {unit.id}",
                      {"unit": unit.id, "item": key, "excused": False})
