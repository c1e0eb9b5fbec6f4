"""One poll pass: take new mail from the source, record it, queue the replies, send them.

    for each new message:
      1. already recorded (under this key, or the same bytes under a new key) → mark it, next
      2. archive the raw bytes; parse; classify (a failure is recorded as such, never lost)
      3. number the submission: the unit's next version with its files as parts, or a resend
      4. the handler of the decision's action (HANDLERS): for an answer, whether a reply may go
         (replies.py) and the reply composed; for a command mail, nothing yet
      5. record message + documents + reply + events in one transaction; then the handler again:
         a command mail's commands carried out and confirmed, another mail's command lines
         refused, a unit's mail answering its additional requests
      6. mark the message processed at the source, only after the commit
    then tell the mailbox's health how the fetch went (health.py), and flush the outbox.

A crash anywhere leaves each message recorded exactly once (docs/design.md, invariant 1): before step 5
nothing is recorded and the message is still new at the source; after it, step 1 of the next
pass sees the record and only marks the message. Run it under lock.pass_lock.
"""
from __future__ import annotations

import datetime as dt
import email.message
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .categories import (ACKNOWLEDGE, ACKNOWLEDGE_NOTE, ASK_FOR_DOCX, ASK_FOR_FILE, ASK_FOR_MISSING, ASK_FOR_RESEND,
                         AUTO_REPLY, BOUNCE, EXECUTE_COMMANDS, IGNORE, NOTIFY_SECRETARY, REVIEW, REVIEW_ACTIONS,
                         UNSUPPORTED)
from .classify import Decision, Reason, bounced_unit, classify
from .command_mail import command_lines, confirmation, confirmation_key
from .commands import Context, SourceRef, answer_requests, execute, help_text, parse_line, record_refused
from .compose import ReceivedFile, acknowledgement
from .config import Campaign
from .health import MailboxHealth
from .mailbox.base import DOCUMENT_TOO_LARGE, MailboxError, MailSource, SourceMessage
from .message import Attachment, ParsedMessage, parse_message
from .outbox import Outbox, Transport, key_ident
from .reader.isolated import extract_isolated
from .replies import REPORTED_REFUSALS, Refusal, reply_refusal
from .store.db import FilePlan, NewDocument, NewEvent, NewMessage, NewOutgoing, Store, SubmissionPlan
from .store.archive import sha256_of

log = logging.getLogger(__name__)

Compose = Callable[..., object]


@dataclass
class PassSummary:
    new: int = 0
    by_category: Counter = field(default_factory=Counter)
    already_recorded: int = 0  # recorded by an earlier pass that stopped before marking it
    seen_again: int = 0  # the same message under a new source key (IMAP UIDVALIDITY changed)
    duplicate_documents: int = 0
    replies_queued: int = 0
    replies_suppressed: int = 0  # answered before: `poll --rescan` records them again, silently
    errors: list[str] = field(default_factory=list)
    source_error: str | None = None  # the mailbox could not be opened or failed mid-way
    skipped: str | None = None  # why the mailbox was left alone (health.py's pauses)
    outbox: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"new": self.new, "by_category": dict(self.by_category),
                "already_recorded": self.already_recorded, "seen_again": self.seen_again,
                "duplicate_documents": self.duplicate_documents, "replies_queued": self.replies_queued,
                "replies_suppressed": self.replies_suppressed,
                "errors": list(self.errors), "source_error": self.source_error, "skipped": self.skipped,
                "outbox": dict(self.outbox)}


@dataclass
class Pass:
    campaign: Campaign
    store: Store
    source: MailSource
    outbox: Outbox
    now: dt.datetime
    compose: Compose
    extract: Callable
    summary: PassSummary = field(default_factory=PassSummary)


def run_pass(campaign: Campaign, store: Store, source: MailSource, transport: Transport, now: dt.datetime,
             compose: Compose = acknowledgement, extract: Callable = extract_isolated,
             health: MailboxHealth | None = None, rescan: bool = False) -> PassSummary:
    """One pass over the source's new mail (with `rescan`, all of it: lost_store.py), then one
    flush of the outbox. With `health`, a source that fails counts as a failed poll and one that
    works ends an incident; the alert or all-clear that this queues goes out in the same flush."""
    p = Pass(campaign, store, source, Outbox(store, campaign), now, compose, extract)
    log.info("pass: fetching %s mail", "all the" if rescan else "new")
    try:
        for item in (source.fetch_all() if rescan else source.fetch_new()):
            try:
                take(p, item)
            except Exception as exc:  # the store failed: the message stays new at the source
                log.exception("cannot record %s", item.key)
                p.summary.errors.append(f"{item.key}: not recorded, will be tried again: {exc}")
    except Exception as exc:  # the source failed mid-way: what is recorded stays, replies still go
        if isinstance(exc, MailboxError):  # the source's own words say it all
            log.error("mail source: %s", exc)
        else:
            log.exception("the mail source failed")
        p.summary.source_error = str(exc) or type(exc).__name__
        p.summary.errors.append(f"mail source: {p.summary.source_error}")
        store.add_event("error", {"reason": f"mail source: {p.summary.source_error}"}, now)
    if health is not None:
        health.after_fetch(p.summary.source_error, now, p.outbox)
    log.info("pass: flushing the outbox")
    p.summary.outbox = p.outbox.flush(transport, now)
    log.info("pass: done")
    return p.summary


def take(p: Pass, item: SourceMessage) -> None:
    """Steps 1 to 6 for one message (see the module docstring). The progress lines are what
    bench/faults.py reads to tell where a killed pass stopped."""
    log.info("%s: reading", item.key)
    if p.store.is_recorded(item.key):
        p.summary.already_recorded += 1
        finish_command_mail(p, item.key)
        return mark(p, item.key)
    raw_sha256 = p.store.archive.put(item.raw)
    message, error = parse(p, item)
    earlier = p.store.find_by_message_id_and_hash(message.message_id, raw_sha256)
    if earlier is not None:
        p.store.add_alias(item.key, earlier, p.now)
        p.summary.seen_again += 1
        return mark(p, item.key)
    decision, error = understand(p, message, error)
    documents, files = number_documents(p, decision)
    t = Taken(item, message, decision, files)
    handler = HANDLERS[decision.action]
    handler.before(p, t)
    t.refused_lines = refused_command_lines(p, message, decision)
    log.info("%s: recording", item.key)
    row_id = p.store.record(incoming(p, item, raw_sha256, message, decision, error), documents,
                            [t.reply] if t.reply else [], events_for(p, item, message, decision, error, t.refusal),
                            p.now)
    handler.after(p, t, row_id)
    p.summary.new += 1
    p.summary.by_category[decision.category] += 1
    p.summary.duplicate_documents += sum(d.duplicate_of is not None for d in documents)
    p.summary.replies_queued += t.reply is not None
    mark(p, item.key)


def mark(p: Pass, key: str) -> None:
    """Mark at the source; a failure here is harmless (the next pass sees the record)."""
    log.info("%s: marking", key)
    try:
        p.source.mark_processed(key)
        log.info("%s: marked", key)
    except Exception as exc:
        log.warning("cannot mark %s processed: %s", key, exc)
        p.summary.errors.append(f"{key}: recorded, but not marked at the source: {exc}")


# ------------------------------------------------------------------ one handler per action


@dataclass
class Taken:
    """One message on its way through `take`: what its action's handler adds to the record (the
    reply, or why there is none) and the command lines it may not give."""

    item: SourceMessage
    message: ParsedMessage
    decision: Decision
    files: list[ReceivedFile]
    reply: NewOutgoing | None = None
    refusal: Refusal | None = None
    refused_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Handler:
    """What the pass does for one action: `before` runs before the message is recorded (the reply
    it prepares is recorded in the same transaction), `after` once it is recorded."""

    before: Callable[[Pass, Taken], None]
    after: Callable[[Pass, Taken, int], None]


def answer_sender(p: Pass, t: Taken) -> None:
    """The reply to the sender (compose), or why none may go (replies.py); none again for mail
    that `poll --rescan` records again: it was answered when first processed."""
    t.reply, t.refusal = decide_reply(p, t.item, t.message, t.decision, t.files)
    if t.refusal:
        t.decision.add(Reason(f"no reply: {t.refusal.reason}", f"không gửi thư trả lời: {t.refusal.reason_vi}"))
    if t.reply is not None and t.item.already_processed:
        t.reply = None
        p.summary.replies_suppressed += 1
        t.decision.add(Reason("no reply: recorded again by poll --rescan; it was answered when first processed",
                              "không gửi lại thư trả lời: thư đã được xử lý trước đây, nay chỉ ghi nhận lại "
                              "khi khôi phục dữ liệu"))


def no_reply(p: Pass, t: Taken) -> None:
    """Nothing goes back to the sender: the secretary's review, or nothing at all."""


def hold_rescanned_commands(p: Pass, t: Taken) -> None:
    """A command mail that `poll --rescan` records again was carried out when first processed:
    it is recorded as ignored, so that no later pass carries it out again."""
    if t.item.already_processed:
        t.decision.action = IGNORE
        t.decision.add(Reason("commands not carried out again: recorded again by poll --rescan",
                              "không thực hiện lại các lệnh: thư đã được xử lý trước đây, nay chỉ ghi nhận lại "
                              "khi khôi phục dữ liệu"))


def commands_recorded(p: Pass, t: Taken, row_id: int) -> None:
    if t.decision.action == EXECUTE_COMMANDS:
        carry_out_commands(p, row_id, t.item.key, t.message, t.decision.commander)


def ordinary_mail_recorded(p: Pass, t: Taken, row_id: int) -> None:
    after_ordinary_mail(p, row_id, t.message, t.decision, t.refused_lines)


ANSWER = Handler(answer_sender, ordinary_mail_recorded)
HOLD = Handler(no_reply, ordinary_mail_recorded)
HANDLERS: dict[str, Handler] = {
    ACKNOWLEDGE: ANSWER, ASK_FOR_MISSING: ANSWER, ASK_FOR_DOCX: ANSWER, ASK_FOR_RESEND: ANSWER,
    ASK_FOR_FILE: ANSWER, ACKNOWLEDGE_NOTE: ANSWER,
    REVIEW: HOLD, NOTIFY_SECRETARY: HOLD, IGNORE: HOLD,
    EXECUTE_COMMANDS: Handler(hold_rescanned_commands, commands_recorded),
}


# ------------------------------------------------------------------ commands and requests


def _command_context(p: Pass) -> Context:
    return Context(p.campaign, p.store, p.outbox, p.now, p.extract)


def carry_out_commands(p: Pass, row_id: int, source_key: str, message: ParsedMessage, commander: str) -> None:
    """Execute a recorded command mail's lines and queue its one confirmation (the help text when
    no line is a command). Both are once-only: `execute` returns the first results for a mail it
    has seen (by row, or by Message-ID from the same commander), and the confirmation's key is the
    commander's and the Message-ID's. A failure is recorded and told to her; the mail stays recorded."""
    key = confirmation_key(message, source_key, commander)
    if p.store.outgoing(key) is not None:
        return
    log.info("%s: executing the commands of %s", source_key, commander)
    try:
        results = execute(_command_context(p), command_lines(message), commander, p.now,
                          SourceRef(row_id, message.message_id))
        draft = confirmation(p.campaign, message, results, "" if results else help_text(p.campaign), p.now)
    except Exception as exc:  # a command's bug must not stop the pass; she hears of it
        log.exception("the commands of %s failed", source_key)
        p.store.add_event("error", {"reason": f"commands not carried out: {type(exc).__name__}: {exc}",
                                    "source_key": source_key, "message_id": message.message_id}, p.now)
        p.summary.errors.append(f"{source_key}: commands not carried out: {exc}")
        return
    p.outbox.queue(key, draft, p.now)


def finish_command_mail(p: Pass, source_key: str) -> None:
    """A command mail recorded by a pass that stopped before its confirmation was queued (a crash
    between the two): carried out now, from its archived bytes."""
    row = p.store.recorded_message(source_key)
    if row is None or row.action != EXECUTE_COMMANDS:
        return
    message = parse_message(p.store.archive.get(row.raw_sha256), p.campaign.limits)
    carry_out_commands(p, row.id, row.source_key, message, row.sender)


def refused_command_lines(p: Pass, message: ParsedMessage, decision: Decision) -> list[str]:
    """The well-formed command lines of a mail that may not command (anyone but a commander, or
    a forged one), with a reason added to the decision; [] for every other mail. Mail stopped
    by the first rules (the bot's own, bounces, automatic replies) is never looked at."""
    if decision.command_refusal is None:
        return []
    lines = [line for line in command_lines(message)
             if (parsed := parse_line(line, p.campaign)) is not None and parsed.error_vi is None]
    if lines:
        refusal = decision.command_refusal
        decision.add(Reason(f"{len(lines)} command line(s) not obeyed: {refusal.en}",
                            f"{len(lines)} dòng lệnh không được thực hiện: {refusal.vi}"))
    return lines


def after_ordinary_mail(p: Pass, row_id: int, message: ParsedMessage, decision: Decision,
                        refused_lines: list[str]) -> None:
    """What a recorded mail of anyone but a commander still does: its command lines are listed
    as refused (the digest tells the secretary), and a unit's own mail (not its automatic
    reply) answers the unit's open additional requests it replies to or names."""
    if refused_lines:
        refusal = decision.command_refusal
        record_refused(_command_context(p), refused_lines, message.from_address, p.now,
                       SourceRef(row_id, message.message_id), refusal.en, refusal.vi)
    if decision.unit and decision.category not in (AUTO_REPLY, BOUNCE):
        references = [*([message.in_reply_to] if message.in_reply_to else []), *message.references]
        answer_requests(_command_context(p), decision.unit, row_id, references,
                        f"{message.subject}\n{message.text}")


# ------------------------------------------------------------------ 2. understand


def parse(p: Pass, item: SourceMessage) -> tuple[ParsedMessage, Reason | None]:
    """The parsed message, never an exception: a parser failure gives an empty message and the
    reason. A message the source did not download whole (over the size limit) says so, and one
    that carries a document gets a placeholder file, so that the sender is told to send it
    another way."""
    try:
        message = parse_message(item.raw, p.campaign.limits)
    except Exception as exc:
        log.exception("cannot parse %s", item.key)
        return _empty_message(), Reason(f"the message could not be parsed: {type(exc).__name__}: {exc}",
                                        "hệ thống không đọc được cấu trúc thư; đề nghị đồng chí xem thư "
                                        "gốc trong hộp thư")
    if item.truncated_reason:
        limit = p.campaign.limits.max_message_mb
        message.problems.append(f"over the {limit:g} MB limit: only the headers were downloaded")
        if item.truncated_reason == DOCUMENT_TOO_LARGE:
            message.attachments.append(Attachment(
                "(the whole message)", "message/rfc822", b"", "unknown",
                problem=f"the message is over the {limit:g} MB limit: its documents were not downloaded",
                problem_vi=f"thư vượt quá dung lượng tối đa {limit:g} MB"))
    return message, None


def understand(p: Pass, message: ParsedMessage, error: Reason | None) -> tuple[Decision, Reason | None]:
    """classify's decision; a failure gives a decision for the secretary's review, with why."""
    if error is None:
        try:
            return classify(message, p.campaign, extract=p.extract, sent=p.store), None
        except Exception as exc:
            log.exception("cannot classify %s", message.message_id)
            error = Reason(f"the message could not be classified: {type(exc).__name__}: {exc}",
                           "hệ thống gặp lỗi khi phân loại thư; đề nghị đồng chí xem thư gốc trong hộp thư")
    # The sender's address is not checked here (DMARC): the message only goes to review.
    unit = p.campaign.unit_by_address(message.from_address) if message.from_address else None
    decision = Decision(UNSUPPORTED, unit.id if unit else None, REVIEW)
    decision.add(error)
    return decision, error


def _empty_message() -> ParsedMessage:
    return ParsedMessage(message_id=None, from_address="", from_name="", to=[], cc=[], subject="",
                         date=None, headers=email.message.Message(), text="", html="")


# ------------------------------------------------------------------ 3. versions


def number_documents(p: Pass, decision: Decision) -> tuple[list[NewDocument], list[ReceivedFile]]:
    """Every file classify looked at, archived. The message is one submission of its unit
    (Store.plan_submission): its readable files are the parts of the unit's next version, or,
    when the unit sent every one of them before, a resend with no version. An unreadable file
    keeps its reason and no version."""
    readable, unreadable = decision.documents, decision.unreadable
    plan = (p.store.plan_submission(decision.unit, [sha256_of(a.data) for a, _ in readable])
            if decision.unit and readable else SubmissionPlan.unnumbered(len(readable)))
    documents, files = [], []
    planned = [*((d, plan.version, f) for d, f in zip(readable, plan.files)),
               *((u, None, FilePlan(None)) for u in unreadable)]
    for (attachment, extraction), version, file in planned:
        documents.append(NewDocument(
            sha256=p.store.archive.put(attachment.data), filename=attachment.filename, unit=decision.unit,
            version=version, part=file.part, duplicate_of=file.duplicate_of, extraction=extraction.to_json(),
            error=extraction.error, content_type=attachment.content_type, kind=attachment.kind,
            format=extraction.format, size=len(attachment.data)))
        files.append(ReceivedFile(attachment.filename, version, file.duplicate_of_filename, extraction))
    return documents, files


# ------------------------------------------------------------------ 4. the reply

def decide_reply(p: Pass, item: SourceMessage, message: ParsedMessage, decision: Decision,
                 files: list[ReceivedFile]) -> tuple[NewOutgoing | None, Refusal | None]:
    """The reply to queue (key `ack:<Message-ID or source key>`), or why there is none."""
    refusal = reply_refusal(p, message)
    if refusal:
        return None, refusal
    try:
        draft = p.compose(p.campaign, message, decision, files, now=p.now,
                          received_at=arrival_time(p, item, message))
    except Exception as exc:  # a broken template must not keep the message from being recorded
        log.exception("cannot compose the reply to %s", message.message_id)
        return None, Refusal(decide_reply, f"the reply could not be written ({type(exc).__name__}: {exc}); "
                             "run `intake-bot check`",
                             "không soạn được thư trả lời do lỗi mẫu thư; đề nghị cán bộ kỹ thuật kiểm tra "
                             "(lệnh intake-bot check)")
    if draft is None:
        return None, None
    return p.outbox.prepare(reply_key(message.message_id, item.key), draft), None


REPORTED_REFUSALS.add(decide_reply)  # a reply that could not be written (a broken template)


def reply_key(message_id: str | None, source_key: str) -> str:
    """`ack:<Message-ID>` (or the source key when there is none); a Message-ID too long for the
    key column, as only hostile mail has, is replaced by its hash."""
    return f"ack:{key_ident(message_id, source_key)}"


# ------------------------------------------------------------------ 5. what is recorded


def review_state(decision: Decision, error: Reason | None) -> str | None:
    """Open for the secretary when classify asks for her review or to tell her something (a unit
    address bounced), when the unit was answered but she still has something to do (a link to
    fetch, a note to read: REVIEWED_REPLIES), or when the message could not be handled."""
    return "open" if error or decision.action in REVIEW_ACTIONS else None


def incoming(p: Pass, item: SourceMessage, raw_sha256: str, message: ParsedMessage, decision: Decision,
             error: Reason | None) -> NewMessage:
    """The message row: the reasons in English in their column (for `status` and the operator),
    the whole decision as JSON, with the reasons in Vietnamese (`reasons_vi`) that the digest
    shows; a message that could not be handled keeps only its error and the reasons."""
    return NewMessage(
        source_key=item.key, raw_sha256=raw_sha256, message_id=message.message_id,
        sender=message.from_address.lower(), sender_name=message.from_name, subject=message.subject,
        sent_date=_aware(message.date), received_at=arrival_time(p, item, message),
        category=decision.category, unit=decision.unit, action=decision.action,
        reasons=list(decision.reasons), problems=list(message.problems),
        decision=(decision.to_json(message) if error is None
                  else {"error": error.en, "reasons_vi": list(decision.reasons_vi)}),
        review_state=review_state(decision, error))


def arrival_time(p: Pass, item: SourceMessage, message: ParsedMessage) -> dt.datetime:
    """When the message reached our server (IMAP INTERNALDATE, the Maildir file's delivery
    time); the sender's Date header only when the source gives none, then the pass's clock.
    The acknowledgement, `status`, lateness and the digest all use it: after an outage a unit
    that wrote on time must not look late."""
    return _aware(item.internal_date) or _aware(message.date) or p.now


def events_for(p: Pass, item: SourceMessage, message: ParsedMessage, decision: Decision,
               error: Reason | None, refusal: Refusal | None) -> list[NewEvent]:
    """A bounce per unit whose address failed (`addresses`), an error, a size limit hit, a reply
    held back by the rate limit or an authentication failure: what the digest reports."""
    events = []
    by_unit: dict[str | None, list[str]] = {}
    for address in decision.bounced_addresses:
        by_unit.setdefault(bounced_unit(address, p.campaign, p.store)[0], []).append(address)
    for unit, addresses in by_unit.items():
        events.append(NewEvent("bounce", {"addresses": addresses, "message_id": message.message_id}, unit))
    where = {"source_key": item.key, "message_id": message.message_id}
    if error:
        events.append(NewEvent("error", {"reason": error.en, **where}, decision.unit))
    if item.truncated_reason:
        events.append(NewEvent("limit", {"reason": item.truncated_reason, **where}, decision.unit))
    if refusal and refusal.rule in REPORTED_REFUSALS:
        events.append(NewEvent("reply_held", {"reason": refusal.reason, "address": message.from_address,
                                              **where}, decision.unit))
    return events


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A date without a zone ("-0000" in RFC 5322) is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)
