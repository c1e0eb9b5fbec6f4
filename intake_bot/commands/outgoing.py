"""GỬI LẠI #N / ĐÓNG #N: an outgoing mail left `failed` or `unknown` is sent again under a new
key (so the outbox's once-only rule still holds), or closed as handled by the secretary."""
from __future__ import annotations

from ..store import secretary
from ..store.db import NewOutgoing
from ..store.models import OutgoingRow
from ..outbox import message_id_for
from .base import Command, Effect, Invocation, Refusal, register
from .words import take_ref

CLOSED = "closed"
STATE_VI = {"failed": "gửi không thành công", "unknown": "chưa rõ đã tới nơi hay chưa"}


def undelivered(inv: Invocation, ref: int) -> OutgoingRow:
    target = secretary.target_of(inv.session, ref)
    if target is None or target[0] != "outgoing":
        raise Refusal(f"không có thư gửi đi nào mang số #{ref}", f"no outgoing mail #{ref}")
    row = inv.session.get_one(OutgoingRow, target[1])
    if row.state not in STATE_VI:
        done = "đã được đóng" if row.state == CLOSED else f"đang ở trạng thái {row.state}"
        raise Refusal(f"thư #{ref} {done}, không cần xử lý", f"#{ref} is {row.state}")
    return row


@register
class Resend(Command):
    name, name_vi, order = "resend", "GỬI LẠI", 100
    words = ("GỬI LẠI", "RESEND")
    usage_vi, example = "GỬI LẠI #<số>", "GỬI LẠI #15"
    summary_vi = "gửi lại một thư gửi không thành công hoặc chưa rõ đã tới nơi"

    def parse(self, rest, campaign):
        return {"ref": take_ref(rest, self.example)[0]}

    def apply(self, inv):
        ref = inv.args["ref"]
        row = undelivered(inv, ref)
        key = f"{row.key}#resend-{inv.ref}"
        domain = inv.ctx.campaign.from_address.rpartition("@")[2]
        copy = NewOutgoing(key=key, kind=row.kind, to=list(row.to), subject=row.subject, text=row.text,
                           message_id=message_id_for(inv.ctx.campaign.id, key, domain), html=row.html,
                           cc=list(row.cc or []), unit=row.unit, headers=dict(row.headers or {}),
                           attachments=list(row.attachments or []))
        inv.ctx.store.queue_outgoing(inv.session, copy, inv.at, message_row_id=row.message_row_id)
        was = STATE_VI[row.state]
        row.state = CLOSED
        return Effect(f"thư #{ref} ({was}) tới {', '.join(row.to)} được gửi lại",
                      f"#{ref} resent as {key}")


@register
class Close(Command):
    name, name_vi, order = "close", "ĐÓNG", 101
    words = ("ĐÓNG", "CLOSE")
    usage_vi, example = "ĐÓNG #<số>", "ĐÓNG #15"
    summary_vi = "coi thư gửi không thành công #số là đã xử lý (đồng chí đã liên hệ cách khác)"

    def parse(self, rest, campaign):
        return {"ref": take_ref(rest, self.example)[0]}

    def apply(self, inv):
        ref = inv.args["ref"]
        row = undelivered(inv, ref)
        before, row.state = row.state, CLOSED
        return Effect(f"thư #{ref} tới {', '.join(row.to)} được đánh dấu đã xử lý, không còn trong danh sách cần xem xét",
                      f"#{ref} closed", {"outgoing": row.id, "state": before, "ref": ref})

    def undo(self, inv, data):
        row = inv.session.get_one(OutgoingRow, data["outgoing"])
        if row.state != CLOSED:
            raise Refusal(f"thư #{data['ref']} không còn ở trạng thái đã đóng", "not closed")
        row.state = data["state"]
        return Effect(f"thư #{data['ref']} trở lại danh sách cần xem xét", f"#{data['ref']} reopened")
