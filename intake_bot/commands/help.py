"""TRỢ GIÚP: the list of commands with examples."""
from __future__ import annotations

from .base import Command, Effect, register


@register
class Help(Command):
    name, name_vi, order = "help", "TRỢ GIÚP", 210
    words = ("TRỢ GIÚP", "HƯỚNG DẪN", "HELP")
    usage_vi, example = "TRỢ GIÚP", "TRỢ GIÚP"
    summary_vi = "danh sách các lệnh kèm ví dụ"

    def apply(self, inv):
        from . import help_text

        return Effect(help_text(inv.ctx.campaign), "help")
