"""TẠM DỪNG NHẮC [<đơn vị>] / TIẾP TỤC NHẮC [<đơn vị>]: reminders off and on again, for one
unit or (without a unit) the whole campaign."""
from __future__ import annotations

from ..store import secretary
from .base import Command, Effect, Refusal, register, restore_override
from .words import resolve_unit


class _Reminders(Command):
    def parse(self, rest, campaign):
        if not rest.strip(" .:"):
            return {"unit": secretary.CAMPAIGN_WIDE}
        return {"unit": resolve_unit(rest, campaign, lambda name: f"{self.name_vi} {name}").id}

    def undo(self, inv, data):
        return restore_override(inv, data)

    def _who(self, inv) -> str:
        unit = inv.ctx.campaign.units.get(inv.args["unit"])
        return unit.short_name if unit else "mọi đơn vị"


@register
class Pause(_Reminders):
    name, name_vi, order = "pause", "TẠM DỪNG NHẮC", 70
    words = ("TẠM DỪNG NHẮC", "DỪNG NHẮC", "PAUSE")
    usage_vi, example = "TẠM DỪNG NHẮC [<đơn vị>]", "TẠM DỪNG NHẮC Yên Mỹ"
    summary_vi = "tạm dừng thư nhắc cho một đơn vị (không ghi đơn vị: cho mọi đơn vị)"

    def apply(self, inv):
        unit = inv.args["unit"]
        before = secretary.set_override(inv.session, unit, secretary.PAUSED, True, inv.at)
        if before:
            raise Refusal(f"thư nhắc cho {self._who(inv)} đã tạm dừng từ trước", f"reminders of {unit} already paused")
        return Effect(f"tạm dừng thư nhắc cho {self._who(inv)}; gửi TIẾP TỤC NHẮC để nhắc lại",
                      f"reminders paused for {unit}", {"unit": unit, "name": secretary.PAUSED, "before": before, "after": True})


@register
class Resume(_Reminders):
    name, name_vi, order = "resume", "TIẾP TỤC NHẮC", 71
    words = ("TIẾP TỤC NHẮC", "RESUME")
    usage_vi, example = "TIẾP TỤC NHẮC [<đơn vị>]", "TIẾP TỤC NHẮC Yên Mỹ"
    summary_vi = "gửi thư nhắc trở lại theo lịch"

    def apply(self, inv):
        unit = inv.args["unit"]
        if not secretary.get_override(inv.session, unit, secretary.PAUSED):
            paused = [u for u in inv.ctx.campaign.units
                      if secretary.get_override(inv.session, u, secretary.PAUSED)]
            if unit != secretary.CAMPAIGN_WIDE and secretary.get_override(
                    inv.session, secretary.CAMPAIGN_WIDE, secretary.PAUSED):
                raise Refusal("thư nhắc đang tạm dừng cho mọi đơn vị; gửi TIẾP TỤC NHẮC (không ghi đơn vị)",
                              "reminders are paused campaign-wide", "TIẾP TỤC NHẮC")
            names = ", ".join(inv.ctx.campaign.units[u].short_name for u in paused)
            raise Refusal(f"thư nhắc cho {self._who(inv)} không bị tạm dừng"
                          + (f" (đang tạm dừng: {names})" if names else ""),
                          f"reminders of {unit} are not paused",
                          f"TIẾP TỤC NHẮC {inv.ctx.campaign.units[paused[0]].short_name}" if paused else None)
        before = secretary.set_override(inv.session, unit, secretary.PAUSED, None, inv.at)
        return Effect(f"thư nhắc cho {self._who(inv)} được gửi trở lại theo lịch",
                      f"reminders resumed for {unit}", {"unit": unit, "name": secretary.PAUSED, "before": before, "after": None})
