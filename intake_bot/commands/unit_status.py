"""MIỄN / HỦY MIỄN / ĐÃ NHẬN BẢN GIẤY: a unit's status set by the secretary (`exempt`: not
expected; `received_offline`: its report came outside the mailbox). Either ends its reminders."""
from __future__ import annotations

from ..store import secretary
from .base import Command, Effect, Invocation, Refusal, register, restore_override
from .words import resolve_unit

EXEMPT, OFFLINE = "exempt", "received_offline"


class _UnitCommand(Command):
    def parse(self, rest, campaign):
        unit = resolve_unit(rest, campaign, lambda name: f"{self.name_vi} {name}")
        return {"unit": unit.id}

    def undo(self, inv: Invocation, data: dict) -> Effect:
        return restore_override(inv, data)


@register
class Exempt(_UnitCommand):
    name, name_vi, order = "exempt", "MIỄN", 50
    words = ("MIỄN", "EXEMPT", "MIỄN NỘP")
    usage_vi, example = "MIỄN <đơn vị>", "MIỄN Mỹ Hào"
    summary_vi = "đơn vị không phải gửi báo cáo: không nhắc, không tính chậm"

    def apply(self, inv):
        unit = inv.ctx.campaign.units[inv.args["unit"]]
        before = secretary.set_override(inv.session, unit.id, secretary.STATUS, EXEMPT, inv.at)
        if before == EXEMPT:
            raise Refusal(f"{unit.short_name} đã được miễn từ trước", f"{unit.id} is already exempt")
        return Effect(f"{unit.short_name} được miễn gửi báo cáo: không nhắc, không tính chậm",
                      f"{unit.id} exempt", {"unit": unit.id, "name": secretary.STATUS, "before": before, "after": EXEMPT})


@register
class Unexempt(_UnitCommand):
    name, name_vi, order = "unexempt", "HỦY MIỄN", 51
    words = ("HỦY MIỄN", "HUỶ MIỄN", "UNEXEMPT")
    usage_vi, example = "HỦY MIỄN <đơn vị>", "HỦY MIỄN Mỹ Hào"
    summary_vi = "đơn vị lại phải gửi báo cáo như kế hoạch"

    def apply(self, inv):
        unit = inv.ctx.campaign.units[inv.args["unit"]]
        if secretary.get_override(inv.session, unit.id, secretary.STATUS) != EXEMPT:
            raise Refusal(f"{unit.short_name} không ở trạng thái được miễn", f"{unit.id} is not exempt")
        before = secretary.set_override(inv.session, unit.id, secretary.STATUS, None, inv.at)
        return Effect(f"{unit.short_name} không còn được miễn: đơn vị lại phải gửi báo cáo và được nhắc theo lịch",
                      f"{unit.id} no longer exempt", {"unit": unit.id, "name": secretary.STATUS, "before": before, "after": None})


@register
class Paper(_UnitCommand):
    name, name_vi, order = "paper", "ĐÃ NHẬN BẢN GIẤY", 40
    words = ("ĐÃ NHẬN BẢN GIẤY", "NHẬN BẢN GIẤY", "PAPER")
    usage_vi, example = "ĐÃ NHẬN BẢN GIẤY <đơn vị>", "ĐÃ NHẬN BẢN GIẤY Khoái Châu"
    summary_vi = "đã nhận báo cáo của đơn vị ngoài hộp thư (bản giấy): không nhắc nữa"

    def apply(self, inv):
        unit = inv.ctx.campaign.units[inv.args["unit"]]
        before = secretary.set_override(inv.session, unit.id, secretary.STATUS, OFFLINE, inv.at)
        if before == OFFLINE:
            raise Refusal(f"đã ghi nhận bản giấy của {unit.short_name} từ trước",
                          f"{unit.id} is already received_offline")
        return Effect(f"đã ghi nhận báo cáo bản giấy của {unit.short_name}; không gửi thư nhắc đơn vị nữa",
                      f"{unit.id} received offline", {"unit": unit.id, "name": secretary.STATUS, "before": before, "after": OFFLINE})
