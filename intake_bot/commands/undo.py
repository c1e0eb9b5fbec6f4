"""HOÀN TÁC [#C]: undo a command (default: the sender's latest one that can be undone)."""
from __future__ import annotations

from ..store import secretary
from .base import Command, Effect, Refusal, register, registry
from .words import parse_ref


@register
class Undo(Command):
    name, name_vi, order = "undo", "HOÀN TÁC", 200
    words = ("HOÀN TÁC", "UNDO")
    usage_vi, example = "HOÀN TÁC [#số lệnh]", "HOÀN TÁC #17"
    summary_vi = "hủy kết quả một lệnh (không ghi số: lệnh gần nhất của đồng chí)"

    def parse(self, rest, campaign):
        if not rest.strip():
            return {"ref": None}
        ref = parse_ref(rest.split(" ")[0])
        if ref is None:
            raise Refusal(f"“{rest}” không phải số lệnh (ví dụ: {self.example})", f"bad ref {rest!r}", self.example)
        return {"ref": ref}

    def apply(self, inv):
        if inv.args["ref"] is None:
            row = secretary.last_undoable(inv.session, inv.commander)
            if row is None:
                raise Refusal("đồng chí chưa có lệnh nào có thể hoàn tác", "nothing to undo")
        else:
            row = secretary.command_by_ref(inv.session, inv.args["ref"])
            if row is None:
                raise Refusal(f"không có lệnh nào mang số #{inv.args['ref']}", f"no command #{inv.args['ref']}")
        line = f"#{row.ref} “{row.line}”"
        if row.result != "done":
            raise Refusal(f"lệnh {line} đã bị từ chối nên không có gì để hoàn tác", "refused command")
        if row.undone_by is not None:
            raise Refusal(f"lệnh {line} đã được hoàn tác (lệnh #{row.undone_by})", "already undone")
        command = registry().get(row.name)
        if not row.undo or command is None:
            raise Refusal(f"lệnh {line} không hoàn tác được", f"{row.name} cannot be undone")
        effect = command.undo(inv, row.undo)
        row.undone_by = inv.ref
        return Effect(f"đã hoàn tác lệnh {line}: {effect.vi}", f"undid #{row.ref}: {effect.en}")
