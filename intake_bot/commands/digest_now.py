"""GỬI TỔNG HỢP: the digest now, to whoever asked (the daily one still goes at its time)."""
from __future__ import annotations

from ..digest import build_digest
from ..draft import Draft
from ..workbook import XLSX_MIME
from .base import Command, Effect, Refusal, register


@register
class DigestNow(Command):
    name, name_vi, order = "digest_now", "GỬI TỔNG HỢP", 110
    words = ("GỬI TỔNG HỢP", "TỔNG HỢP", "DIGEST")
    usage_vi, example = "GỬI TỔNG HỢP", "GỬI TỔNG HỢP"
    summary_vi = "gửi ngay thư tổng hợp tình hình (kèm bảng tổng hợp) cho người gửi lệnh"

    def apply(self, inv):
        campaign = inv.ctx.campaign
        local = inv.at.astimezone(campaign.tz)
        key = f"digest-now:{inv.commander}:{local:%Y-%m-%dT%H:%M}"
        if inv.ctx.store.outgoing(key) is not None:
            raise Refusal("thư tổng hợp vừa được gửi trong phút này", "a digest went this minute")
        digest = build_digest(campaign, inv.ctx.store, inv.at)
        draft = Draft(kind="digest", to=[inv.commander], subject=digest.subject, text=digest.text,
                      html=digest.html, attachments=[(digest.filename, XLSX_MIME, digest.workbook_bytes)])
        inv.ctx.outbox.queue(key, draft, inv.at, session=inv.session)
        return Effect(f"đã gửi thư tổng hợp tới {inv.commander}", f"digest sent to {inv.commander}")
