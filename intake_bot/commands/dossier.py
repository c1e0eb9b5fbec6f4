"""GỬI TÀI LIỆU ĐOÀN: the members' dossier now (dossier.py), once per member per dossier."""
from __future__ import annotations

from ..dossier import queue_dossier
from .base import Command, Effect, Refusal, register


@register
class SendDossier(Command):
    name, name_vi, order = "dossier", "GỬI TÀI LIỆU ĐOÀN", 190
    words = ("GỬI TÀI LIỆU ĐOÀN", "GỬI TÀI LIỆU", "DOSSIER")
    usage_vi, example = "GỬI TÀI LIỆU ĐOÀN", "GỬI TÀI LIỆU ĐOÀN"
    summary_vi = ("gửi mỗi thành viên Đoàn dự thảo báo cáo tổng hợp, bảng số liệu và báo cáo mới nhất "
                  "của các đơn vị (mỗi bộ tài liệu chỉ gửi mỗi người một lần)")

    def apply(self, inv):
        ctx = inv.ctx
        try:
            result = queue_dossier(ctx.campaign, ctx.store, ctx.outbox, inv.at, session=inv.session)
        except ValueError as exc:
            raise Refusal("tệp cấu hình đợt giám sát chưa có danh sách thành viên Đoàn ([[delegation]])",
                          str(exc)) from None
        if not result.sent_to:
            raise Refusal(f"bộ tài liệu số {result.number} đã gửi tới tất cả thành viên Đoàn từ trước; chưa có "
                          "đơn vị nào gửi bản mới nên không gửi lại",
                          f"dossier {result.number} already sent to every member")
        already = f"; {len(result.already_had)} thành viên đã nhận từ trước" if result.already_had else ""
        return Effect(f"đã gửi bộ tài liệu số {result.number} tới {len(result.sent_to)} thành viên Đoàn "
                      f"({result.mails} thư){already}",
                      f"dossier {result.number} queued for {', '.join(result.sent_to)}")
