"""The review queue and reports the secretary brings in:

    GÁN #N <đơn vị>     the documents of review item #N become the unit's next version (read
                        again with its outline); the item leaves the queue; the sender gets
                        the usual acknowledgement
    BỎ QUA #N [lý do]   the item leaves the queue, with the reason
    NỘP THAY <đơn vị>   the documents of this very command mail are the unit's report; the unit
                        is told only when BÁO ĐƠN VỊ is another line of the mail
    BÁO ĐƠN VỊ          goes with NỘP THAY
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..classify import Decision, incidental, report_action
from ..compose import ReceivedFile, acknowledgement
from ..filetype import DOCUMENT_FORMATS
from ..message import parse_message
from ..pipeline import reply_key
from ..store import secretary
from ..store.models import DocumentRow, MessageRow
from .base import Command, Effect, Invocation, Refusal, register
from .words import resolve_unit, take_ref

ASSIGNED, DISMISSED, OPEN = "assigned", "dismissed", "open"


def review_item(inv: Invocation, ref: int) -> MessageRow:
    """The open review item `#ref`; Refusal when the number names something else or is closed."""
    target = secretary.target_of(inv.session, ref)
    if target is None:
        raise Refusal(f"không có mục nào mang số #{ref}", f"no item #{ref}")
    if target[0] != "message":
        kinds = {"outgoing": "một thư gửi đi", "request": "một yêu cầu bổ sung", "command": "một lệnh"}
        raise Refusal(f"#{ref} là {kinds.get(target[0], target[0])}, không phải thư cần xem xét",
                      f"#{ref} is a {target[0]}")
    row = inv.session.get_one(MessageRow, target[1])
    if row.review_state != OPEN:
        done = {ASSIGNED: f"đã được gán cho đơn vị {_name(inv, row.unit)}", DISMISSED: "đã được bỏ qua"}
        raise Refusal(f"thư #{ref} {done.get(row.review_state, 'không còn chờ xem xét')}",
                      f"#{ref} is {row.review_state}")
    return row


def _name(inv: Invocation, unit_id: str | None) -> str:
    unit = inv.ctx.campaign.units.get(unit_id or "")
    return unit.short_name if unit else (unit_id or "")


def take_documents(inv: Invocation, message: MessageRow, unit_id: str) -> tuple[list[ReceivedFile], dict]:
    """Make the message's documents the unit's: each read again with the unit's outline, the
    readable ones one submission of the unit (Store.plan_submission: its next version, the files
    its parts, or a resend of its earlier files). Returns
    the files for the acknowledgement and what undoing needs."""
    ctx, s = inv.ctx, inv.session
    documents = s.scalars(select(DocumentRow).where(DocumentRow.message_row_id == message.id)
                          .order_by(DocumentRow.id)).all() or documents_of_raw(inv, message)
    if not documents:
        raise Refusal("thư không có tệp báo cáo đính kèm nên không có gì để ghi nhận cho đơn vị",
                      "the message has no documents")
    before = [{"id": d.id, "unit": d.unit, "version": d.version, "part": d.part, "duplicate_of": d.duplicate_of,
               "extraction": d.extraction, "error": d.error} for d in documents]
    extractions = [ctx.extract(ctx.store.archive.get(d.sha256), d.filename, ctx.campaign, unit_id) for d in documents]
    readable = [(d, e) for d, e in zip(documents, extractions) if e.readable]
    plan = ctx.store.plan_submission(unit_id, [d.sha256 for d, _ in readable])
    plan_of = {d.id: f for (d, _), f in zip(readable, plan.files)}
    files = []
    for doc, extraction in zip(documents, extractions):
        file = plan_of.get(doc.id)
        doc.unit, doc.extraction, doc.error = unit_id, extraction.to_json(), extraction.error
        doc.version, doc.part, doc.duplicate_of = (plan.version, file.part, file.duplicate_of) if file else (None, None, None)
        files.append(ReceivedFile(doc.filename, doc.version, file.duplicate_of_filename if file else None, extraction))
    s.flush()
    undo = {"message": message.id, "message_unit": message.unit, "review_state": message.review_state,
            "documents": before}
    message.unit = unit_id
    return files, undo


def documents_of_raw(inv: Invocation, message: MessageRow) -> list[DocumentRow]:
    """The report files of a message recorded without documents (a command mail: the pass does
    not read the files of the committee's own address), taken from its archived bytes, those
    inside a forwarded message or a .zip included, each distinct file once."""
    archive = inv.ctx.store.archive
    parsed = parse_message(archive.get(message.raw_sha256), inv.ctx.campaign.limits)
    rows, seen = [], set()
    for attachment in parsed.attachments:
        if incidental(attachment) or attachment.kind not in DOCUMENT_FORMATS or not attachment.data:
            continue
        sha = archive.put(attachment.data)
        if sha in seen:
            continue
        seen.add(sha)
        rows.append(DocumentRow(message_row_id=message.id, sha256=sha, filename=attachment.filename,
                                content_type=attachment.content_type[:255], kind=attachment.kind,
                                format=attachment.kind, size=len(attachment.data), unit=None, version=None,
                                extraction=None))
    inv.session.add_all(rows)
    inv.session.flush()
    return rows


def give_back_documents(inv: Invocation, data: dict) -> None:
    """Undo of take_documents; refused when the unit has sent a later version since."""
    s = inv.session
    message = s.get_one(MessageRow, data["message"])
    versions = [d.version for d in s.scalars(select(DocumentRow).where(DocumentRow.message_row_id == message.id))
                if d.version is not None]
    if versions:
        top = s.scalar(select(func.max(DocumentRow.version)).where(DocumentRow.unit == message.unit))
        if top is not None and top > max(versions):
            raise Refusal(f"{_name(inv, message.unit)} đã có phiên bản mới hơn (phiên bản {top}) nên không hoàn tác được",
                          "the unit has a later version")
    for old in data["documents"]:
        doc = s.get_one(DocumentRow, old["id"])
        doc.unit, doc.version, doc.part, doc.duplicate_of = old["unit"], old["version"], old.get("part"), old["duplicate_of"]
        doc.extraction, doc.error = old["extraction"], old["error"]
    message.unit, message.review_state = data["message_unit"], data["review_state"]
    s.flush()


def acknowledgement_draft(inv: Invocation, message: MessageRow, unit_id: str, files: list[ReceivedFile]):
    """The acknowledgement the sender would have had, had the message been matched."""
    campaign = inv.ctx.campaign
    parsed = parse_message(inv.ctx.store.archive.get(message.raw_sha256), campaign.limits)
    decision = Decision("report", unit_id, "acknowledge",
                        documents=[(None, f.extraction) for f in files if f.extraction and f.extraction.readable])
    if decision.documents:
        report_action(campaign, decision)
    return parsed, acknowledgement(campaign, parsed, decision, files, now=inv.at, received_at=message.received_at)


@register
class Assign(Command):
    name, name_vi, order = "assign", "GÁN", 10
    words = ("GÁN", "GÁN CHO", "ASSIGN")
    usage_vi, example = "GÁN #<số> <đơn vị>", "GÁN #12 Văn Lâm"
    summary_vi = "thư cần xem xét #số là báo cáo của đơn vị; người gửi nhận thư báo đã nhận"

    def parse(self, rest, campaign):
        ref, tail = take_ref(rest, self.example)
        unit = resolve_unit(tail, campaign, lambda name: f"GÁN #{ref} {name}")
        return {"ref": ref, "unit": unit.id}

    def apply(self, inv):
        ref, unit = inv.args["ref"], inv.ctx.campaign.units[inv.args["unit"]]
        message = review_item(inv, ref)
        files, undo = take_documents(inv, message, unit.id)
        message.review_state = ASSIGNED
        versions = sorted({f.version for f in files if f.version is not None})
        what = (f"phiên bản {', '.join(map(str, versions))}" if versions
                else "không có tệp mới (trùng với tệp đã nhận)")
        told = ""
        parsed, draft = acknowledgement_draft(inv, message, unit.id, files)
        if draft is not None:
            key = f"{reply_key(parsed.message_id, message.source_key)}:assign:{inv.ref}"
            inv.ctx.outbox.queue(key, draft, inv.at, session=inv.session)
            told = f"; đã gửi thư báo nhận tới {', '.join(draft.to)}"
        return Effect(f"thư #{ref} ({message.sender}) được ghi nhận là báo cáo của {unit.short_name}: {what}{told}",
                      f"#{ref} assigned to {unit.id}", {"unit": unit.id, **undo})

    def undo(self, inv, data):
        give_back_documents(inv, data)
        return Effect(f"thư trở lại danh sách cần xem xét, không còn là báo cáo của {_name(inv, data['unit'])} "
                      "(thư báo nhận đã gửi thì không thu hồi được)", f"assignment to {data['unit']} undone")


@register
class Dismiss(Command):
    name, name_vi, order = "dismiss", "BỎ QUA", 20
    words = ("BỎ QUA", "DISMISS")
    usage_vi, example = "BỎ QUA #<số> [lý do]", "BỎ QUA #14 thư hỏi thăm, không phải báo cáo"
    summary_vi = "thư #số không cần xử lý nữa (ghi kèm lý do nếu muốn)"

    def parse(self, rest, campaign):
        ref, reason = take_ref(rest, self.example)
        return {"ref": ref, "reason": reason}

    def apply(self, inv):
        ref, reason = inv.args["ref"], inv.args["reason"]
        message = review_item(inv, ref)
        message.review_state = DISMISSED
        because = f" (lý do: {reason})" if reason else ""
        return Effect(f"thư #{ref} ({message.sender}) không cần xem xét nữa{because}",
                      f"#{ref} dismissed{': ' + reason if reason else ''}",
                      {"message": message.id, "reason": reason})

    def undo(self, inv, data):
        inv.session.get_one(MessageRow, data["message"]).review_state = OPEN
        return Effect("thư trở lại danh sách cần xem xét", "dismissal undone")


@register
class NotifyUnit(Command):
    name, name_vi, order = "notify_unit", "BÁO ĐƠN VỊ", 31
    words = ("BÁO ĐƠN VỊ", "NOTIFY UNIT")
    usage_vi, example = "BÁO ĐƠN VỊ", "BÁO ĐƠN VỊ"
    summary_vi = "đi kèm NỘP THAY: gửi thư báo đã nhận tới đơn vị"

    def apply(self, inv):
        if not any(p.command.name == OnBehalf.name for p in inv.siblings):
            raise Refusal("BÁO ĐƠN VỊ chỉ dùng cùng thư với lệnh NỘP THAY", "no ON BEHALF in the mail")
        return Effect("đơn vị sẽ nhận thư báo đã nhận báo cáo", "the unit is told")


@register
class OnBehalf(Command):
    name, name_vi, order = "on_behalf", "NỘP THAY", 30
    words = ("NỘP THAY", "NỘP THAY CHO", "ON BEHALF", "ON BEHALF OF")
    usage_vi, example = "NỘP THAY <đơn vị>", "NỘP THAY Khoái Châu"
    summary_vi = ("tệp đính kèm của chính thư này (hoặc của thư được chuyển tiếp) là báo cáo của đơn vị; "
                  "thêm dòng BÁO ĐƠN VỊ để gửi thư báo nhận cho đơn vị")

    def parse(self, rest, campaign):
        return {"unit": resolve_unit(rest, campaign, lambda name: f"NỘP THAY {name}").id}

    def apply(self, inv):
        unit = inv.ctx.campaign.units[inv.args["unit"]]
        if inv.source.message_row_id is None:
            raise Refusal("NỘP THAY chỉ dùng trong thư có đính kèm báo cáo của đơn vị", "no mail to take documents from")
        message = inv.session.get_one(MessageRow, inv.source.message_row_id)
        files, undo = take_documents(inv, message, unit.id)
        versions = sorted({f.version for f in files if f.version is not None})
        what = f"phiên bản {', '.join(map(str, versions))}" if versions else "trùng với tệp đã nhận"
        told = ""
        if any(p.command.name == NotifyUnit.name for p in inv.siblings):
            addresses = unit_addresses(inv, unit.id)
            _parsed, draft = acknowledgement_draft(inv, message, unit.id, files)
            if draft is not None and addresses:
                draft.to, draft.in_reply_to, draft.references = addresses, None, []
                inv.ctx.outbox.queue(f"ack-on-behalf:{message.id}:{inv.ref}", draft, inv.at, session=inv.session)
                told = f"; đã gửi thư báo nhận tới {', '.join(addresses)}"
            elif not addresses:
                told = "; đơn vị chưa có địa chỉ đăng ký nên không gửi được thư báo nhận"
        return Effect(f"tệp đính kèm của thư này được ghi nhận là báo cáo của {unit.short_name}: {what}{told}",
                      f"documents of the mail taken as {unit.id}'s report", {"unit": unit.id, **undo})

    def undo(self, inv, data):
        give_back_documents(inv, data)
        return Effect(f"tệp của thư đó không còn là báo cáo của {_name(inv, data['unit'])}",
                      f"on-behalf report of {data['unit']} undone")


def unit_addresses(inv: Invocation, unit_id: str) -> list[str]:
    unit = inv.ctx.campaign.units[unit_id]
    added = secretary.get_override(inv.session, unit_id, secretary.ADDRESSES) or []
    return list(dict.fromkeys([*unit.addresses, *added]))
