"""Category, unit and action of one parsed message, each decision with its reasons.

Written after GNU Mailman's rules and chains: small rules, each a function whose docstring
states the rule and why, that return a `Hit` (the rule's name for what it found, and the reason
in words, in English for the operator and in Vietnamese for the secretary), or None. The chain
table `OUTCOMES` maps each hit to its category and action: data, not a sequence of ifs. The
first rules (`FIRST_RULES`: our own mail, bounces, automatic replies, lists, the secretary's
command mail) decide alone and stop, so that nothing is ever answered that could start a mail
loop. Then the documents are read, the unit is told, and the last rule (`what_was_sent`) names
what the message carries. The names of categories and actions are those of categories.py.

    category       action
    report         acknowledge | ask_for_missing | ask_for_docx (review when no reply may go)
    unmatched      review            (the secretary decides whose it is)
    unsupported    ask_for_resend    (to a known unit or a sender writing about the report)
    link_only      ask_for_file      (a unit: asked to attach the file, the link named; the
                                      secretary also sees it) | review
    no_attachment  acknowledge_note  (a unit: its note is acknowledged, with the date it
                                      promised the report for when it wrote one; the secretary
                                      also sees it) | review
                   (the last three are `other`, ignored, when the sender is no unit and does
                    not write about a report: spam and unrelated mail get no reply)
    auto_reply     ignore
    bounce         notify_secretary  (a unit's address failed) | ignore
    other          ignore | review (a forged commander's mail)
                   | execute_commands (a commander's mail: the secretary's commands, command_mail.py)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from email.utils import getaddresses

from .categories import (ACKNOWLEDGE, ACKNOWLEDGE_NOTE, ASK_FOR_DOCX, ASK_FOR_FILE, ASK_FOR_MISSING, ASK_FOR_RESEND,
                         AUTO_REPLY, BOUNCE, EXECUTE_COMMANDS, IGNORE, LINK_ONLY, NO_ATTACHMENT, NOTIFY_SECRETARY,
                         OTHER, REPLY_ACTIONS, REPORT, REVIEW, UNMATCHED, UNSUPPORTED)
from .compose import missing_items
from .config import Campaign
from .filetype import DOCUMENT_FORMATS
from .message import Attachment, ParsedMessage, html_to_text
from .reason import Reason
from .reader.isolated import extract_isolated
from .reader.model import Extraction
from .text import collapse, fold, nfc
from .units import units_named_in
from .vnformat import vn_date

Extract = Callable[..., Extraction]


@dataclass(frozen=True)
class Hit:
    """What a rule found: `name`, its entry in OUTCOMES; `reason`, why (None when an earlier
    reason says it all); `notes`, what the secretary should know besides."""

    name: str
    reason: Reason | None
    notes: tuple[Reason, ...] = ()


# The chain table: what each hit makes of the message (category, action).
OUTCOMES: dict[str, tuple[str, str]] = {
    "own_mail": (OTHER, IGNORE),
    "own_address": (OTHER, IGNORE),
    "unit_bounce": (BOUNCE, NOTIFY_SECRETARY),
    "bounce": (BOUNCE, IGNORE),
    "auto_reply": (AUTO_REPLY, IGNORE),
    "list_mail": (OTHER, IGNORE),
    "command_mail": (OTHER, EXECUTE_COMMANDS),
    "forged_commander": (OTHER, REVIEW),
    "complete_report": (REPORT, ACKNOWLEDGE),
    "incomplete_report": (REPORT, ASK_FOR_MISSING),
    "scanned_report": (REPORT, ASK_FOR_DOCX),
    "unmatched_report": (UNMATCHED, REVIEW),
    "unrelated": (OTHER, IGNORE),
    "unreadable_files": (UNSUPPORTED, ASK_FOR_RESEND),
    "unit_link_only": (LINK_ONLY, ASK_FOR_FILE),
    "link_only": (LINK_ONLY, REVIEW),
    "unit_note": (NO_ATTACHMENT, ACKNOWLEDGE_NOTE),
    "no_attachment": (NO_ATTACHMENT, REVIEW),
}

# Subjects of automatic replies, folded (no diacritics, lower case). At the start of the subject
# they are enough on their own ("Automatic reply: ...", "Thư trả lời tự động: ..."); anywhere
# else they are only a hint: "Thông báo vắng mặt tại buổi giám sát" may be written by a person.
# Other languages too: a unit's officer may use a foreign webmail or a responder set up abroad.
AUTO_REPLY_SUBJECTS = ("thu tra loi tu dong", "tra loi tu dong", "tu dong tra loi", "phan hoi tu dong",
                       "vang mat", "out of office", "out of the office", "automatic reply",
                       "auto reply", "autoreply", "auto response", "away from the office",
                       "on vacation", "vacation reply",
                       "automatische antwort", "abwesenheitsnotiz", "reponse automatique",
                       "respuesta automatica", "risposta automatica", "resposta automatica",
                       "automatisch antwoord", "automatyczna odpowiedz", "automatiska atbilde",
                       "automaticka odpoved", "automatisk svar", "autosvar", "automaattinen vastaus",
                       "otomatik yanit", "fuera de la oficina", "absence du bureau")
# The same in scripts that fold() drops, compared in lower case.
AUTO_REPLY_SUBJECTS_OTHER_SCRIPTS = ("автоматический ответ", "自动回复", "自動応答", "自動返信", "자동 응답")
# Lotus Notes opens its out-of-office subjects with "AUTO:".
_LOTUS_AUTO = re.compile(r"\s*AUTO\s*:", re.IGNORECASE)
# Phrases of out-of-office answers in their opening text (folded).
OUT_OF_OFFICE_TEXT = ("out of office", "out of the office", "on vacation", "on annual leave",
                      "away from the office", "away from my desk", "limited access to email",
                      "limited access to e mail", "automatic reply", "automated response",
                      "automatic response", "auto reply", "will endeavour to reply",
                      "thu tra loi tu dong", "day la thu tu dong", "tra loi tu dong")
_AUTO_SUBMITTED_NO = "no"
_SUPPRESS_VALUES = ("all", "oof", "autoreply")
# Local parts of mail systems, without "-", "_", "." and quotes (see _system_name).
_DAEMONS = frozenset({"mailerdaemon", "postmaster", "maildaemon", "mdaemon"})
_DELIVERY_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
# How much of the text is read for words of a failure notice or an out-of-office answer: they
# open the text, and a long letter that quotes one further down is a person's.
_OPENING_CHARS = 600
# What failure notices say in their subjects and in their opening lines (folded).
_FAILURE_SUBJECT_WORDS = ("undeliverable", "undelivered", "not delivered", "could not be delivered",
                          "delivery failure", "delivery failed", "delivery status", "delivery problem",
                          "failure notice", "returned mail", "non delivery", "delivery warning",
                          "mail delivery failed", "user unknown", "mail error")
_FAILURE_BODY_WORDS = ("could not be delivered", "could not deliver", "was not delivered",
                       "undeliverable", "failed recipient", "failed recipients", "delivery has failed",
                       "delivery to the following recipient", "permanent fatal errors",
                       "non delivery report", "n a pas pu etre delivre", "user unknown",
                       "no such user", "mailbox unavailable")
_FORWARD_SUBJECT = re.compile(r"\s*(fwd?|tl|chuyển tiếp|chuyen tiep)\s*:", re.IGNORECASE)

# File-sharing services a report may be sent through instead of an attachment.
LINK_HOSTS = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com",
              "onedrive.live.com", "1drv.ms", "sharepoint.com", "dropbox.com", "db.tt",
              "fshare.vn", "mediafire.com", "wetransfer.com", "we.tl", "mega.nz", "4share.vn")
# A run of characters that may be a URL; its host is then compared with LINK_HOSTS. (One linear
# pass: a single regular expression for "any subdomain of these hosts" backtracks for minutes on
# long dotted text.)
_URL_TOKEN = re.compile(r"[^\s<>\"'()\[\]]+")

# Words that make a message about reports (folded): a sender the campaign does not know is
# asked to resend, or shown to the secretary, only when it writes about a report.
REPORT_WORDS = ("bao cao", "giam sat", "phu luc", "de cuong", "ke hoach", "tai lieu", "van ban", "so lieu")

# Files that travel with ordinary mail and are never the report: signature logos and inline
# images, calendar invitations and contact cards, text and HTML bodies sent as files, and the
# signatures of signed mail.
_INCIDENTAL_KINDS = frozenset({"image", "text", "html"})
_SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature",
                              "application/pgp-signature", "application/pgp-keys"})
_DOCUMENT_EXTENSIONS = (".doc", ".docx", ".pdf", ".xls", ".xlsx", ".zip", ".rar", ".7z")

# Why a file of a given kind cannot be read: English for the secretary, a Vietnamese sentence
# for the sender, in the reader's words where the reader refuses the same kind.
_RESEND = "đề nghị quý cơ quan gửi trực tiếp tệp Word (.docx) hoặc PDF (hoặc nén bằng ZIP)."
KIND_REASONS = {
    "rar": ("RAR archive is not supported", "Tệp nén RAR chưa đọc được; " + _RESEND),
    "7z": ("7-Zip archive is not supported", "Tệp nén 7-Zip chưa đọc được; " + _RESEND),
    "gz": ("gzip archive is not supported", "Tệp nén gzip chưa đọc được; " + _RESEND),
    "exe": ("an executable program, not a report",
            "Tệp đính kèm là tệp chương trình, không phải văn bản báo cáo; " + _RESEND),
    "encrypted": ("password-protected file", ("Tệp đính kèm được đặt mật khẩu nên không mở được; "
                                              "đề nghị quý cơ quan gửi lại tệp không đặt mật khẩu.")),
    "corrupt": ("damaged file, cannot be opened",
                "Tệp đính kèm bị hỏng, không mở được; đề nghị quý cơ quan gửi lại tệp báo cáo."),
    "odf": ("OpenDocument file is not supported",
            ("Tệp OpenDocument (.odt, .ods) chưa đọc được; đề nghị quý cơ quan gửi lại dưới dạng "
             "tệp Word (.docx) hoặc Excel (.xlsx).")),
    "pptx": ("a PowerPoint presentation, not a report format",
             "Tệp trình chiếu PowerPoint không phải định dạng báo cáo; " + _RESEND),
    "xls": ("Excel 97-2003 workbook (.xls) is not supported",
            "Tệp Excel 97-2003 (.xls) chưa đọc được; đề nghị quý cơ quan gửi lại dưới dạng tệp .xlsx."),
    "empty": ("empty file", "Tệp đính kèm rỗng (0 byte); đề nghị quý cơ quan gửi lại tệp báo cáo."),
    "rtf": ("Rich Text Format (RTF) is not supported",
            ("Tệp gửi kèm ở định dạng RTF nên hệ thống chưa đọc được; đề nghị quý cơ quan lưu lại tệp "
             "dưới định dạng Word (.docx) và gửi lại.")),
    "html": ("a web page (HTML) under a document's name, not the document",
             ("Tệp gửi kèm là một trang web (HTML) được đặt tên như tệp văn bản, không phải tệp báo "
              "cáo; " + _RESEND)),
    "image": ("a picture under a document's name, not the document",
              "Tệp gửi kèm là ảnh chụp được đặt tên như tệp văn bản; " + _RESEND),
    "text": ("plain text under a document's name, not the document",
             "Tệp gửi kèm là văn bản thô được đặt tên như tệp Word hoặc PDF; " + _RESEND),
    "unknown": ("unknown file type", "Tệp đính kèm không rõ định dạng; " + _RESEND),
}
_NOT_A_REPORT_VI = ("Tệp không phải định dạng báo cáo đọc được (Word, PDF hoặc Excel); đề nghị quý cơ "
                    "quan gửi lại tệp báo cáo.")
_READER_FAILED_VI = "Tệp đính kèm bị lỗi, không đọc được nội dung; đề nghị quý cơ quan gửi lại tệp báo cáo."


def _quoted(name: str) -> str:
    """A file name or phrase in Vietnamese quotation marks."""
    return f"“{name}”"


def _where(attachment: Attachment) -> Reason:
    """Where a file was found when not attached directly (in a zip, in a forwarded message)."""
    if not attachment.origin:
        return Reason("", "")
    return Reason(f" (in {attachment.origin})", f" (trong {attachment.origin})")


@dataclass
class Decision:
    """What the worker does with one message, and why. `reasons` are in English for the
    operator, `reasons_vi` the same reasons in Vietnamese for the secretary, in the same order;
    both grow together through `add`. `documents` are the readable report
    files with what the reader found; `unreadable` the files that should have been a report but
    cannot be read, each as an Extraction whose `error`/`error_vi` say why. `candidates` are the
    units in question when the unit cannot be told; `bounced_addresses` the failed recipients
    of a bounce; `missing` the outline keys no document covers; `links` the file-sharing links
    of a link-only message; `promised` the day a note without a file says the report will come;
    `may_reply` is false for auto-generated mail, which is read but never answered; `own_mail`
    is true for mail the bot wrote itself."""

    category: str
    unit: str | None
    action: str
    reasons: list[str] = field(default_factory=list)
    reasons_vi: list[str] = field(default_factory=list)
    documents: list[tuple[Attachment, Extraction]] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    bounced_addresses: list[str] = field(default_factory=list)
    unreadable: list[tuple[Attachment, Extraction]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    promised: dt.date | None = None
    may_reply: bool = True
    commander: str | None = None
    command_refusal: Reason | None = None
    own_mail: bool = False

    def add(self, reason: Reason, at: int | None = None) -> None:
        """Record one reason in both wordings, at the end or at position `at`. The Vietnamese
        starts with a capital letter, as a sentence of the digest does, and is NFC."""
        vi = nfc(reason.vi[:1].upper() + reason.vi[1:])
        at = len(self.reasons) if at is None else at
        self.reasons.insert(at, reason.en)
        self.reasons_vi.insert(at, vi)

    def to_json(self, message: ParsedMessage) -> dict:
        """The `classify --json` object of docs/json.md, plus the facts behind it; the
        reasons in Vietnamese (`reasons_vi`) are an addition the contract does not name."""
        return {
            "message_id": message.message_id,
            "from": message.from_address,
            "subject": message.subject,
            "category": self.category,
            "unit": self.unit,
            "documents": [extraction.to_json() for _, extraction in self.documents],
            "action": self.action,
            "reasons": list(self.reasons),
            "reasons_vi": list(self.reasons_vi),
            "candidates": list(self.candidates),
            "bounced_addresses": list(self.bounced_addresses),
            "own_mail": self.own_mail,
            "missing": list(self.missing),
            "links": list(self.links),
            "promised_date": self.promised.isoformat() if self.promised else None,
            "unreadable": [{"file": e.file, "format": e.format, "origin": a.origin,
                            "reason": e.error, "reason_vi": e.error_vi} for a, e in self.unreadable],
            "attachments": [{"file": a.filename, "kind": a.kind, "origin": a.origin,
                             "content_type": a.content_type, "size": len(a.data),
                             "problem": a.problem} for a in message.attachments],
            "problems": list(message.problems),
        }


class SentMail(Protocol):
    """What the bot has sent, as the store's outbox knows it (`Store` is one)."""

    def sent_by_bot(self, message_id: str | None) -> bool:
        """Whether the bot wrote the mail with this Message-ID."""

    def unit_of_recipient(self, address: str) -> str | None:
        """The unit of the latest mail the bot sent to `address`."""


class NothingSent:
    """The outbox of `intake-bot classify`, a dry run without the store: it knows of nothing."""

    def sent_by_bot(self, message_id: str | None) -> bool:
        return False

    def unit_of_recipient(self, address: str) -> str | None:
        return None


def classify(message: ParsedMessage, campaign: Campaign, extract: Extract = extract_isolated,
             sent: SentMail = NothingSent()) -> Decision:
    """Apply the rules in order: the first that hits among FIRST_RULES decides alone; else the
    documents are read, the unit is told, and `what_was_sent` decides. `sent`, the outbox,
    tells the bot's own mail by its Message-ID and the unit a bounced address was written to
    (the rules that take it get it as a keyword)."""
    decision = Decision(category=OTHER, unit=None, action=IGNORE)
    for rule in FIRST_RULES:
        first_reason = len(decision.reasons)
        hit = rule(message, campaign, decision, sent=sent) if rule in OUTBOX_RULES else rule(message, campaign, decision)
        if hit is not None:
            settle(decision, hit, at=first_reason)
            if decision.action == EXECUTE_COMMANDS:  # her attachments, for NỘP THAY
                read_attachments(message, campaign, decision, extract)
            return decision
    forged = is_forged_unit_address(message, campaign, decision)
    words = own_words(message.text, campaign)
    match = None if forged else unit_from_sender(message, campaign) or unit_named(message, campaign, words)
    first_reason = len(decision.reasons)
    read_attachments(message, campaign, decision, extract)
    match = None if forged else settle_unit(match, campaign, decision)
    if match:
        decision.add(match.reason, at=first_reason)
        decision.unit, decision.candidates = match.unit, match.candidates
    read_again_as_unit(campaign, decision, extract)
    settle(decision, what_was_sent(message, campaign, decision, words))
    if forged:
        decision.action = REVIEW
    return decision


def settle(decision: Decision, hit: Hit, at: int | None = None) -> None:
    """The hit's reason (at position `at`: before the facts the rule noted), and its category
    and action from the chain table; a reply that may not go (auto-generated mail) becomes the
    secretary's review."""
    for reason in ([hit.reason] if hit.reason else []) + list(hit.notes):
        decision.add(reason, at=at)
        at = None if at is None else at + 1
    decision.category, decision.action = OUTCOMES[hit.name]
    if decision.action in REPLY_ACTIONS and not decision.may_reply:
        decision.action = REVIEW


# ------------------------------------------------------------------ rules that stop


def own_mail(message: ParsedMessage, campaign: Campaign, decision: Decision,
             sent: SentMail = NothingSent()) -> Hit | None:
    """Mail the bot wrote - it carries the X-Intake-Bot header the bot sets on everything it
    sends, or a Message-ID the outbox made - is never answered (answering ourselves is the
    shortest mail loop) and is no arrival of the digest: the secretary's copy of her digest
    comes back into the committee mailbox when she is the mailbox. Marked `own_mail`. Written
    by the bot, not merely from its address: the secretary writes from it too."""
    reason = bot_header(message)
    if reason is None and sent.sent_by_bot(message.message_id):
        reason = Reason(f"sent by this bot (its Message-ID {message.message_id} is in the outbox)",
                        f"thư do chính hệ thống gửi (mã thư {message.message_id} có trong hộp thư đi)")
    if reason is None:
        return None
    decision.own_mail = True
    return Hit("own_mail", reason)


def own_address(message: ParsedMessage, campaign: Campaign, decision: Decision) -> Hit | None:
    """Mail from the committee's own address that the bot did not write (a person at the
    committee wrote it) is not a unit's and gets no reply; unlike the bot's own mail, the
    digest lists it. A commander's address is left to command_mail: the secretary may write
    her commands from the committee's address."""
    if message.from_address not in campaign.own_addresses.difference(campaign.commanders):
        return None
    return Hit("own_address", Reason(f"sent from the committee's own address {message.from_address}",
                                     f"thư gửi từ địa chỉ của chính Ban ({message.from_address})"))


def bot_header(message: ParsedMessage) -> Reason | None:
    """The X-Intake-Bot header the outbox sets on everything the bot sends."""
    if message.header("X-Intake-Bot"):
        return Reason("sent by this bot (X-Intake-Bot header)", "thư do chính hệ thống gửi (có trường X-Intake-Bot)")
    return None


def _report_type(message: ParsedMessage) -> str | None:
    """The report-type of a multipart/report message (RFC 6522), "" when it names none, None
    when the message is no multipart/report."""
    if message.headers.get_content_type() != "multipart/report":
        return None
    value = message.headers.get_param("report-type", "")
    return str(value[2] if isinstance(value, tuple) else value).strip().lower()


def _system_name(local_part: str) -> bool:
    """Whether a local part (with or without its domain) is a mail system's: MAILER-DAEMON or
    postmaster in any spelling (mailer_daemon, Post_Master, "Postmaster\\", MDaemon)."""
    local = re.sub(r"[-_.\\\"'\s]", "", local_part.split("@", 1)[0]).lower()
    return local in _DAEMONS


def _header_addresses(message: ParsedMessage, name: str) -> list[str]:
    """The address parts of a header as written, a bare word without a domain included (the
    parsed message keeps only addresses with an @), and whatever stands between angle brackets
    where the parser gives up ("<Postmaster\\@host@host>")."""
    values = message.header_all(name)
    try:
        parsed = [address for _, address in getaddresses(values)]
    except (ValueError, TypeError, IndexError):
        parsed = []
    return parsed + [inside for value in values for inside in re.findall(r"<([^<>]*)>", value)]


def delivery_report(message: ParsedMessage) -> Reason | None:
    """A multipart/report of report-type delivery-status (RFC 3464), or one that names no
    report-type: some servers leave it out, while read receipts, feedback reports and TLS
    reports always name theirs."""
    report_type = _report_type(message)
    if report_type is None or report_type not in ("delivery-status", ""):
        return None
    return Reason("a delivery status notification (multipart/report)",
                  "thông báo tình trạng chuyển thư (multipart/report)")


def delivery_status_part(message: ParsedMessage) -> Reason | None:
    """A message/delivery-status entity of the message itself, whatever wraps it: the whole
    message, or a part of a multipart/mixed. One inside an attached message does not count:
    that is a bounce someone forwards."""
    stack, seen = [message.headers], 0
    while stack and seen < 500:
        part = stack.pop()
        seen += 1
        if part.get_content_type() in _DELIVERY_STATUS_TYPES:
            return Reason(f"a {part.get_content_type()} part", f"có phần {part.get_content_type()}")
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, list):
            stack.extend(p for p in payload if hasattr(p, "get_payload"))
    return None


def failed_recipients_header(message: ParsedMessage) -> Reason | None:
    """X-Failed-Recipients (Exim, Gmail)."""
    if message.header("X-Failed-Recipients"):
        return Reason("X-Failed-Recipients header", "có trường X-Failed-Recipients")
    return None


def mail_system_sender(message: ParsedMessage) -> Reason | None:
    """From names a mail system: MAILER-DAEMON or postmaster, with or without a domain
    ("Mail Delivery Subsystem <MAILER-DAEMON>"), or the null sender "<>" that some servers
    copy from the envelope into From."""
    value = message.header("From")
    if re.search(r"<\s*>", value):
        return Reason(f"null sender in From ({value})", f"địa chỉ gửi để trống (From: {value})")
    for address in _header_addresses(message, "From"):
        if _system_name(address):
            return Reason(f"sent by {address}", f"gửi từ {address}")
    return None


def mail_system_return_path(message: ParsedMessage) -> Reason | None:
    """Return-Path <MAILER-DAEMON@host>: the envelope sender some servers give their bounces
    instead of the null one."""
    for address in _header_addresses(message, "Return-Path"):
        if _system_name(address):
            return Reason(f"Return-Path {address}", f"địa chỉ trả về là của máy chủ thư ({address})")
    return None


def failure_auto_submitted(message: ParsedMessage) -> Reason | None:
    """Auto-Submitted: auto-generated (failure), as sendmail marks its bounces: an
    automatic message, and one about a failure."""
    value = message.header("Auto-Submitted").lower()
    if re.search(r"\(\s*failure\s*\)", value):
        return Reason(f"Auto-Submitted: {value}", f"trường Auto-Submitted: {value}")
    return None


def failure_notice_words(message: ParsedMessage) -> Reason | None:
    """A failure notice in words alone, for servers that mark their bounces no other way: a
    subject that says the mail was not delivered AND a body that opens by saying so too. Never
    a message with a document of its own, nor a forward: a person wrote those."""
    subject = fold(message.subject)
    if _FORWARD_SUBJECT.match(message.subject) or any(
            a.kind in DOCUMENT_FORMATS and not a.origin for a in message.attachments):
        return None
    said = next((w for w in _FAILURE_SUBJECT_WORDS if f" {w} " in f" {subject} "), None)
    body = fold(message.text[:_OPENING_CHARS])
    told = next((w for w in _FAILURE_BODY_WORDS if f" {w} " in f" {body} "), None)
    if not (said and told):
        return None
    return Reason(f"failure notice: the subject says {said!r}, the text {told!r}",
                  f"thông báo lỗi chuyển thư: tiêu đề có {_quoted(said)}, nội dung có {_quoted(told)}")


# Each returns its evidence, or None. Any one makes a bounce.
BOUNCE_SIGNS = (delivery_report, delivery_status_part, failed_recipients_header, mail_system_sender,
                mail_system_return_path, failure_auto_submitted, failure_notice_words)


def bounce(message: ParsedMessage, campaign: Campaign, decision: Decision,
           sent: SentMail = NothingSent()) -> Hit | None:
    """A delivery status notification: any one of BOUNCE_SIGNS. A null Return-Path (<>) also
    marks one, unless the message shows auto-reply signs: RFC 3834 asks auto-responders to send
    with a null sender too. The failed recipients are collected so the secretary learns which
    unit address does not work: the bounce of a unit's address (registered, or one the bot
    wrote to for the unit) goes to her review under that unit (`notify_secretary`); nothing is
    answered."""
    evidence = [reason for sign in BOUNCE_SIGNS if (reason := sign(message))]
    strong, weak = auto_reply_evidence(message)
    if not evidence and null_return_path(message) and not (strong or weak):
        evidence.append(Reason("null Return-Path (<>)", "địa chỉ trả về để trống (Return-Path: <>)"))
    if not evidence:
        return None
    decision.bounced_addresses = bounced_addresses(message, campaign)
    units = {}
    for address in decision.bounced_addresses:
        unit, whose = bounced_unit(address, campaign, sent)
        units[address] = unit
        decision.add(Reason(f"delivery to {address} failed" + (f" ({whose.en})" if unit else ""),
                            f"không chuyển được thư tới {address}" + (f" ({whose.vi})" if unit else "")))
    if len(set(units.values()) - {None}) == 1:
        decision.unit = next(u for u in units.values() if u)
    if not units:
        decision.add(Reason("the failed recipient could not be told", "không xác định được địa chỉ nhận bị lỗi"))
    return Hit("unit_bounce" if any(units.values()) else "bounce",
               Reason("bounce: " + "; ".join(e.en for e in evidence),
                      "thư báo không chuyển được: " + "; ".join(e.vi for e in evidence)))


def bounced_unit(address: str, campaign: Campaign, sent: SentMail) -> tuple[str | None, Reason]:
    """The unit whose address failed, and why it is that unit's: registered for it, else the
    bot last wrote to that address for it (an acknowledgement to a personal address)."""
    unit = campaign.unit_by_address(address)
    if unit:
        return unit.id, Reason(f"registered for {unit.id}", f"địa chỉ đã đăng ký của {unit.short_name}")
    unit_id = sent.unit_of_recipient(address)
    if unit_id in campaign.units:
        return unit_id, Reason(f"the bot wrote to it for {unit_id}",
                               f"địa chỉ hệ thống đã gửi thư cho {campaign.units[unit_id].short_name}")
    return None, Reason("", "")


def null_return_path(message: ParsedMessage) -> Reason | None:
    """Return-Path: <> (the null reverse path of RFC 5321, used by bounces and by
    auto-responders that follow RFC 3834)."""
    if message.header("Return-Path").strip() == "<>":
        return Reason("null Return-Path (<>)", "địa chỉ trả về để trống (Return-Path: <>)")
    return None


# ------------------------------------------------------------------ automatic replies


def auto_submitted(message: ParsedMessage) -> Reason | None:
    """Auto-Submitted other than "no" (RFC 3834)."""
    value = message.header("Auto-Submitted").split(";", 1)[0].strip().lower()
    if value and value != _AUTO_SUBMITTED_NO:
        return Reason(f"Auto-Submitted: {value}", f"trường Auto-Submitted: {value}")
    return None


def autoreply_header(message: ParsedMessage) -> Reason | None:
    """X-Autoreply or X-Autorespond (vacation programs, Yahoo, mail.ru)."""
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.header(name).strip().lower() not in ("", "no"):
            return Reason(f"{name} header", f"có trường {name}")
    return None


def auto_reply_precedence(message: ParsedMessage) -> Reason | None:
    """Precedence or X-Precedence: auto_reply."""
    for name in ("Precedence", "X-Precedence"):
        if message.header(name).strip().lower() == "auto_reply":
            return Reason(f"{name}: auto_reply", f"trường {name}: auto_reply")
    return None


def read_receipt(message: ParsedMessage) -> Reason | None:
    """A read receipt (RFC 8098 disposition notification)."""
    if _report_type(message) == "disposition-notification":
        return Reason("a read receipt (disposition notification)", "thư báo đã đọc")
    return None


def _auto_reply_phrase(subject: str) -> tuple[str, bool] | None:
    """The auto-reply phrase of a subject, and whether it opens the subject."""
    if _LOTUS_AUTO.match(subject):
        return "AUTO:", True
    folded, lowered = fold(subject), subject.casefold()
    for phrase in AUTO_REPLY_SUBJECTS:
        if folded.startswith(phrase):
            return phrase, True
        if f" {phrase} " in f" {folded} ":
            return phrase, False
    for phrase in AUTO_REPLY_SUBJECTS_OTHER_SCRIPTS:
        if phrase in lowered:
            return phrase, lowered.lstrip(" [(").startswith(phrase)
    return None


def auto_reply_subject(message: ParsedMessage) -> Reason | None:
    """An auto-reply phrase opening the subject ("Automatic reply: ...", "Thư trả lời tự
    động: ...", "[Automatyczna odpowiedź]", Lotus Notes' "AUTO: ... is out of the office")."""
    found = _auto_reply_phrase(message.subject)
    if found and found[1]:
        return Reason(f"subject starts with {found[0]!r}", f"tiêu đề thư bắt đầu bằng {_quoted(found[0])}")
    return None


def auto_reply_phrase_in_subject(message: ParsedMessage) -> Reason | None:
    """An auto-reply phrase elsewhere in the subject: only a hint, "Thông báo vắng mặt tại buổi
    giám sát" may be written by a person."""
    found = _auto_reply_phrase(message.subject)
    if found and not found[1]:
        return Reason(f"subject contains {found[0]!r}", f"tiêu đề thư có cụm từ {_quoted(found[0])}")
    return None


def response_suppress(message: ParsedMessage) -> Reason | None:
    """X-Auto-Response-Suppress: Outlook sets it on auto-replies, but also on ordinary mail."""
    suppress = message.header("X-Auto-Response-Suppress")
    if any(value in suppress.lower() for value in _SUPPRESS_VALUES):
        return Reason(f"X-Auto-Response-Suppress: {suppress}", f"trường X-Auto-Response-Suppress: {suppress}")
    return None


def bulk_precedence(message: ParsedMessage) -> Reason | None:
    """Precedence: junk or bulk, which vacation(1) and many responders set (and lists too)."""
    precedence = message.header("Precedence").strip().lower()
    if precedence in ("junk", "bulk"):
        return Reason(f"Precedence: {precedence}", f"trường Precedence: {precedence}")
    return None


def out_of_office_text(message: ParsedMessage) -> Reason | None:
    """The opening of the text says it is an out-of-office or automatic answer ("I am out of
    the office", "Đây là thư trả lời tự động"): responders whose headers say nothing."""
    opening = fold(message.text[:_OPENING_CHARS])
    for phrase in OUT_OF_OFFICE_TEXT:
        if f" {phrase} " in f" {opening} ":
            return Reason(f"the text says {phrase!r}", f"nội dung thư có cụm từ {_quoted(phrase)}")
    return None


# One strong sign makes an automatic reply; weak ones need a second.
STRONG_AUTO_REPLY_SIGNS = (auto_submitted, autoreply_header, auto_reply_precedence, read_receipt,
                           auto_reply_subject)
WEAK_AUTO_REPLY_SIGNS = (response_suppress, auto_reply_phrase_in_subject, bulk_precedence, out_of_office_text)


def auto_reply_evidence(message: ParsedMessage) -> tuple[list[Reason], list[Reason]]:
    """(strong, weak) signs of an automatic reply: STRONG_AUTO_REPLY_SIGNS, WEAK_AUTO_REPLY_SIGNS."""
    return ([reason for sign in STRONG_AUTO_REPLY_SIGNS if (reason := sign(message))],
            [reason for sign in WEAK_AUTO_REPLY_SIGNS if (reason := sign(message))])


def auto_reply(message: ParsedMessage, campaign: Campaign, decision: Decision) -> Hit | None:
    """An automatic reply (one strong sign, or two weak ones) is never answered (RFC 3834).
    One exception: mail marked only "Auto-Submitted: auto-generated" that carries documents,
    as document systems send them, is read like any report but never answered."""
    strong, weak = auto_reply_evidence(message)
    if strong or weak:
        weak += [reason for reason in [null_return_path(message)] if reason]
    if not strong and len(weak) < 2:
        return None
    if [s.en for s in strong] == ["Auto-Submitted: auto-generated"] and not weak and any(
            a.kind in DOCUMENT_FORMATS for a in message.attachments):
        decision.may_reply = False
        decision.add(Reason("auto-generated mail (RFC 3834) that carries documents: read, never answered",
                            "thư do hệ thống tự động gửi, có kèm văn bản: đã đọc, không trả lời"))
        return None
    unit = campaign.unit_by_address(message.from_address) if message.from_address else None
    if unit:
        decision.unit = unit.id
        decision.add(Reason(f"sender address registered for {unit.id}",
                            f"địa chỉ gửi đã đăng ký cho {unit.short_name}"))
    return Hit("auto_reply", Reason("automatic reply: " + "; ".join(e.en for e in strong + weak),
                                    "thư trả lời tự động: " + "; ".join(e.vi for e in strong + weak)))


def list_mail(message: ParsedMessage, campaign: Campaign, decision: Decision) -> Hit | None:
    """Mailing lists and newsletters (any List-* header, RFC 2369/2919) and mail marked
    Precedence: bulk, junk or list are not reports and are never answered."""
    reason = list_headers(message) or mass_precedence(message)
    return Hit("list_mail", reason) if reason else None


def list_headers(message: ParsedMessage) -> Reason | None:
    """Any List-* header (RFC 2369, RFC 2919): a mailing list or a newsletter."""
    found = sorted({name for name in message.headers if name.lower().startswith("list-")})
    if not found:
        return None
    listed = ", ".join(found)
    return Reason(f"mailing list or newsletter ({listed})", f"thư gửi theo danh sách thư hoặc bản tin ({listed})")


def mass_precedence(message: ParsedMessage) -> Reason | None:
    """Precedence: bulk, junk or list (Mailman's rule): mail to many people."""
    precedence = message.header("Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return Reason(f"Precedence: {precedence}", f"thư gửi hàng loạt (Precedence: {precedence})")
    return None


# ------------------------------------------------------------------ sender authentication

@dataclass
class AuthResult:
    """One result of an Authentication-Results header: `method` (dkim, spf, dmarc ...),
    `result` (pass, fail, none ...), `properties` such as header.from or smtp.mailfrom."""

    method: str
    result: str
    properties: dict[str, str]


def _chunks(value: str) -> list[str]:
    """The header value split at the semicolons that separate results, with its (nested)
    comments removed; a quoted string is kept whole, semicolons and parentheses in it included."""
    chunks, current, depth, quoted = [], [], 0, False
    for ch in value:
        if quoted:
            quoted = ch != '"'
        elif ch == "(":
            depth += 1
            continue
        elif ch == ")" and depth:
            depth -= 1
            continue
        elif depth:
            continue
        elif ch == '"':
            quoted = True
        elif ch == ";":
            chunks.append("".join(current))
            current = []
            continue
        current.append(ch)
    chunks.append("".join(current))
    return chunks


def parse_authentication_results(value: str) -> tuple[str, list[AuthResult]]:
    """(authserv-id, results) of one Authentication-Results value; lower case throughout.
    Malformed results are skipped, never raised on."""
    chunks = _chunks(value)
    head = chunks[0].split()
    authserv_id = head[0].lower() if head else ""
    results = []
    for chunk in chunks[1:]:
        tokens = chunk.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].lower().partition("=")
        properties = {}
        for token in tokens[1:]:
            name, sep, prop = token.partition("=")
            if sep:
                properties[name.lower()] = prop.strip('"').lower()
        results.append(AuthResult(method.split("/", 1)[0], result, properties))
    return authserv_id, results


def trusted_authentication_results(message: ParsedMessage, trusted: frozenset[str]) -> list[AuthResult] | None:
    """The results of the topmost Authentication-Results header written by our own receiving
    server (a trusted authserv-id), or None when there is none. Each server adds its header on
    top, so a header a sender wrote into the message lies below ours: the first one with our id
    is ours, and a forged one further down can neither make a failed message pass nor make a
    good one fail. `trusted`: the authserv-ids of our receiving servers (RFC 8601), from the
    campaign file's [mailbox] trusted_receivers."""
    for value in message.header_all("Authentication-Results"):
        authserv_id, results = parse_authentication_results(value)
        if authserv_id in trusted:
            return results
    return None


def _aligned(domain: str, other: str) -> bool:
    """DMARC relaxed alignment, approximated: the same domain, or one under the other."""
    other = other.rpartition("@")[2].strip(".")
    return bool(other) and (domain == other or domain.endswith("." + other) or other.endswith("." + domain))


def authentication_failure(message: ParsedMessage, campaign: Campaign) -> Reason | None:
    """Why the sender address is likely forged, from our receiving server's checks, or None.

    It fails when the server's DMARC result for the From domain is "fail"; when the server gave
    no DMARC result, when SPF failed and no DKIM signature of that domain passed (what DMARC
    would have concluded). A pass, "none" (the domain publishes nothing) or no trusted header at
    all is no failure: the address alone then decides, as it must for mailboxes whose server
    does not check."""
    domain = message.from_address.rpartition("@")[2].lower()
    results = trusted_authentication_results(message, campaign.trusted_receivers) if domain else None
    if not results:
        return None
    dmarc = [r for r in results if r.method == "dmarc"
             and r.properties.get("header.from", domain) == domain]
    if dmarc:
        if any(r.result == "fail" for r in dmarc):
            return Reason(f"DMARC failed for {domain}: the sender address may be forged",
                          f"kiểm tra DMARC của {domain} không đạt: địa chỉ gửi có thể bị giả mạo")
        return None
    spf_failed = any(r.method == "spf" and r.result == "fail" for r in results)
    dkim_passed = any(r.method == "dkim" and r.result == "pass"
                      and _aligned(domain, r.properties.get("header.d") or r.properties.get("header.i", ""))
                      for r in results)
    if spf_failed and not dkim_passed:
        return Reason(f"DMARC failed for {domain} (SPF failed, no DKIM signature of {domain}): "
                      "the sender address may be forged",
                      f"kiểm tra DMARC của {domain} không đạt (SPF không đạt, không có chữ ký DKIM của "
                      f"{domain}): địa chỉ gửi có thể bị giả mạo")
    return None


def is_forged_unit_address(message: ParsedMessage, campaign: Campaign, decision: Decision) -> bool:
    """A registered address is not proof: anyone can write any From. A message that claims a
    unit's registered address but fails our receiving server's authentication for the sender's
    domain (`authentication_failure`) is not taken as that unit's: no unit is told from it (not
    from its address, nor from names or documents, which a forger copies as easily), the claimed
    unit is listed as the candidate, it goes to the secretary's review, and nothing is ever sent
    back to it - a reply would go to the unit the forger imitates (backscatter)."""
    claimed = unit_from_sender(message, campaign)
    failure = authentication_failure(message, campaign) if claimed else None
    if failure is None:
        return False
    decision.may_reply = False
    decision.candidates = [claimed.unit]
    decision.add(Reason(f"{failure.en} ({claimed.reason.en}, not trusted)",
                        f"{failure.vi} ({claimed.reason.vi}, nhưng không được tin cậy)"))
    return True


def command_mail(message: ParsedMessage, campaign: Campaign, decision: Decision) -> Hit | None:
    """A commander's mail (the secretary or a [[staff]] member, by From) that our trusted
    receiving server does not find forged (`authentication_failure`) holds the secretary's
    commands: it is executed and confirmed, never acknowledged as a report (its attachments are
    still read: `NỘP THAY` makes them a unit's report). A forged commander's mail is never
    obeyed nor answered, and goes to the secretary's review, unit-less (whatever it names, it
    answers no unit's request); its command lines, as those of anyone who is no commander, are
    refused (`command_refusal`). The stop rules run before this one: the bot's own mail, bounces
    and automatic replies (her out-of-office answer to the digest) never command."""
    address = message.from_address.strip().lower()
    name = campaign.commanders.get(address) if address else None
    if name is None:
        decision.command_refusal = Reason(f"{message.from_address or 'the sender'} may not give commands",
                                          f"{message.from_address or 'người gửi'} không có quyền ra lệnh")
        return None
    forged = authentication_failure(message, campaign)
    if forged is not None:
        decision.may_reply = False
        decision.command_refusal = Reason(f"the sender address {address} of a commander may be forged",
                                          f"địa chỉ gửi {address} của người ra lệnh có thể bị giả mạo")
        return Hit("forged_commander", forged)
    decision.commander = address
    return Hit("command_mail", Reason(f"a command mail of {address} ({name})", f"thư ra lệnh của {name} ({address})"))


# The rules that decide alone, in order: nothing that could start a mail loop goes further.
FIRST_RULES = (own_mail, bounce, auto_reply, list_mail, own_address, command_mail)
# The first rules that consult the outbox (`classify`'s `sent`).
OUTBOX_RULES = (own_mail, bounce)


# ------------------------------------------------------------------ failed recipients


_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s@]+@[^<>\s]+)>:\s*$", re.MULTILINE)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_SMTP_REJECT = re.compile(r"\b5\d\d[ -]\d\.\d{1,3}\.\d{1,3}\s+<([^<>\s@]+@[^<>\s]+)>")


def bounced_addresses(message: ParsedMessage, campaign: Campaign) -> list[str]:
    """The failed recipients: Final-Recipient of every failed entry of the message/delivery-
    status parts, else X-Failed-Recipients, else the qmail ("<addr>:") or SMTP ("550 5.1.1
    <addr>") lines of the text, else the registered unit addresses the text names (a notice in
    words only: "There was an error delivering your mail to <addr>"). Our own addresses are
    never among them."""
    found: list[str] = []
    for block in _delivery_status_blocks(message):
        action = block.get("action", "failed").lower()
        recipient = block.get("final-recipient") or block.get("original-recipient") or ""
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if "@" in address and action.startswith("failed"):
            found.append(address)
    if not found:
        for value in message.header_all("X-Failed-Recipients"):
            found.extend(a.strip().strip("<>").lower() for a in value.split(",") if "@" in a)
    if not found:
        found = [a.lower() for a in _QMAIL_RECIPIENT.findall(message.text) + _SMTP_REJECT.findall(message.text)]
    if not found:
        found = [a.lower() for a in _ADDRESS.findall(message.text) if campaign.unit_by_address(a)]
    unique = []
    for address in found:
        if address not in unique and address not in campaign.own_addresses:
            unique.append(address)
    return unique


def _delivery_status_blocks(message: ParsedMessage) -> list[dict[str, str]]:
    """The per-recipient field blocks of every message/delivery-status part, lower-case keys."""
    blocks = []
    stack, seen = [message.headers], 0
    while stack and seen < 500:
        part = stack.pop()
        seen += 1
        payload = part.get_payload()
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            if isinstance(payload, list):
                text = "\n\n".join("\n".join(f"{k}: {v}" for k, v in b.items()) for b in payload
                                   if hasattr(b, "items"))
            else:
                text = payload if isinstance(payload, str) else ""
            blocks.extend(_field_blocks(text))
        elif isinstance(payload, list):
            stack.extend(p for p in payload if hasattr(p, "get_payload"))
    return blocks


def _field_blocks(text: str) -> list[dict[str, str]]:
    out = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields = {}
        for line in chunk.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip():
                fields[name.strip().lower()] = value.strip()
        if fields:
            out.append(fields)
    return out


# ------------------------------------------------------------------ the sender's own words


_QUOTE_SEPARATOR = re.compile(
    r"^[-_*=\s]*(original message|forwarded message|begin forwarded message|thư gốc|"
    r"thư chuyển tiếp|thư được chuyển tiếp|tin nhắn gốc|tin nhắn chuyển tiếp)[-_*=:\s]*$", re.IGNORECASE)
_WROTE = re.compile(r"(\bwrote|đã viết)\s*:\s*$", re.IGNORECASE)
_HEADER_LABEL = re.compile(
    r"^\*?(from|sent|date|to|cc|bcc|subject|reply-to|từ|đã gửi|ngày gửi|ngày|đến|tới|gửi|"
    r"chủ đề|tiêu đề)\*?\s*:", re.IGNORECASE)
_FROM_LABEL = re.compile(r"^\*?(from|từ)\*?\s*:", re.IGNORECASE)


def _is_ours(line: str, campaign: Campaign) -> bool:
    """Whether a quoted header or attribution line names the bot or the committee."""
    lowered = line.lower()
    if any(address in lowered for address in campaign.own_addresses):
        return True
    folded = fold(line)
    names = (campaign.from_name, campaign.committee, campaign.committee_short)
    return any(fold(name) and f" {fold(name)} " in f" {folded} " for name in names)


def own_words(text: str, campaign: Campaign) -> str:
    """The sender's own words: quoted lines ("> "), quoted or forwarded header blocks
    ("From: ... Sent: ... Subject: ...") and attributions ("On ... wrote:") are dropped, and
    so is the whole body of a quoted message that came from the bot or the committee (a reply
    quoting the committee's letter to every unit names every unit). The body of a message
    forwarded from someone else stays: it is the report's cover note."""
    lines = text.splitlines()
    kept: list[str] = []
    skipping = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith(">"):
            i += 1
            continue
        if _QUOTE_SEPARATOR.match(line):
            i += 1
            continue
        if len(line) < 300 and _WROTE.search(line):
            skipping = _is_ours(line, campaign)
            i += 1
            continue
        if _FROM_LABEL.match(line):
            block_end = i + 1
            while block_end < len(lines) and _HEADER_LABEL.match(lines[block_end].strip()):
                block_end += 1
            if block_end - i >= 2:
                skipping = _is_ours(line, campaign)
                i = block_end
                continue
        if not skipping:
            kept.append(lines[i])
        i += 1
    return "\n".join(kept).strip()


# ------------------------------------------------------------------ the unit


@dataclass
class Match:
    """One step's answer: a unit, or the candidates when several are named. `by` is the step
    ("address", "names", "documents"); `formal` is true when documents tell the unit from the
    issuing agency printed in their header."""

    unit: str | None
    candidates: list[str]
    reason: Reason
    by: str
    formal: bool = False


def unit_from_sender(message: ParsedMessage, campaign: Campaign) -> Match | None:
    """Step 1: a registered address in From, else in Reply-To or Sender, names the unit. It
    outranks any name in the text (a unit's office forwarding its own report is that unit)."""
    for label, label_vi, addresses in (("sender address", "địa chỉ", [message.from_address]),
                                       ("Reply-To address", "địa chỉ trả lời (Reply-To)", message.reply_to),
                                       ("Sender address", "địa chỉ gửi thay (Sender)", [message.sender])):
        for address in addresses:
            unit = campaign.unit_by_address(address) if address else None
            if unit:
                return Match(unit.id, [], Reason(f"{label} {address} registered for {unit.id}",
                                                 f"{label_vi} {address} đã đăng ký cho {unit.short_name}"),
                             "address")
    return None


def unit_named(message: ParsedMessage, campaign: Campaign, words: str) -> Match | None:
    """Step 2: unit names and aliases (without diacritics or case) in the subject and the
    attachments' file names, else in the sender's own words. One unit named is the unit; two at
    once is ambiguous and never guessed: the candidates go to the secretary."""
    labels = [(Reason("the subject", "tiêu đề thư"), message.subject)]
    labels += [(Reason(f"file name {a.filename!r}", f"tên tệp {_quoted(a.filename)}"), a.filename)
               for a in message.attachments]
    for texts in (labels, [(Reason("the message text", "nội dung thư"), words)]):
        named: dict[str, Reason] = {}
        for where, text in texts:
            for unit_id, phrase in units_named_in(text, campaign).items():
                named.setdefault(unit_id, Reason(f"{phrase!r} in {where.en}", f"{_quoted(phrase)} trong {where.vi}"))
        if len(named) == 1:
            (unit_id, found), = named.items()
            return Match(unit_id, [], Reason(f"{unit_id} named: {found.en}",
                                             f"{_short(campaign, unit_id)} được nêu tên ({found.vi})"), "names")
        if len(named) > 1:
            found_in = sorted(named.items())
            return Match(None, sorted(named), Reason(
                "several units named: " + ", ".join(f"{u} ({found.en})" for u, found in found_in),
                "thư nêu tên nhiều đơn vị: " + ", ".join(f"{_short(campaign, u)} ({found.vi})"
                                                         for u, found in found_in)), "names")
    return None


def _short(campaign: Campaign, unit_id: str) -> str:
    """The unit's short name, as the secretary knows it ("UBND thị xã Mỹ Hào", not its id)."""
    unit = campaign.units.get(unit_id)
    return unit.short_name if unit else unit_id


def unit_from_documents(campaign: Campaign, decision: Decision) -> Match | None:
    """Step 3: the unit the reader told from each document itself (its header, title, text)."""
    found: dict[str, tuple[str, bool]] = {}
    for attachment, extraction in decision.documents:
        if extraction.unit:
            header = bool((extraction.metadata or {}).get("issuer"))
            filename, formal = found.get(extraction.unit, (attachment.filename, True))
            found[extraction.unit] = (filename, formal and header)
    if len(found) == 1:
        (unit_id, (filename, formal)), = found.items()
        short = _short(campaign, unit_id)
        if formal:
            reason = Reason(f"document {filename!r} is issued by {unit_id}",
                            f"văn bản {_quoted(filename)} do {short} ban hành")
        else:
            reason = Reason(f"document {filename!r} names {unit_id}", f"văn bản {_quoted(filename)} nêu tên {short}")
        return Match(unit_id, [], reason, "documents", formal)
    if len(found) > 1:
        found_in = sorted(found.items())
        return Match(None, sorted(found), Reason(
            "documents come from several units: " + ", ".join(f"{u} ({f!r})" for u, (f, _) in found_in),
            "các văn bản thuộc nhiều đơn vị: " + ", ".join(f"{_short(campaign, u)} ({_quoted(f)})"
                                                         for u, (f, _) in found_in)), "documents")
    return None


def settle_unit(match: Match | None, campaign: Campaign, decision: Decision) -> Match | None:
    """Combine the steps. A registered address stands whatever the documents say. Names in the
    text stand unless the documents' own header names another issuing unit: the header is the
    formal statement of who issued the report, a name in a file name may be an industrial zone
    ("KCN Yên Mỹ" in a report of the zones board). Several names are settled by the documents
    when these name one unit. With no address and no name, the documents tell."""
    documents = unit_from_documents(campaign, decision)
    if match is None:
        return documents
    if documents is None or documents.unit is None or documents.unit == match.unit:
        return match
    if match.by == "names" and match.unit is None and documents.unit in match.candidates:
        return Match(documents.unit, [], match.reason + documents.reason, "documents")
    if match.by == "names" and documents.formal:
        outranks = Reason(f"{documents.reason.en}, which outranks {match.reason.en}",
                          f"{documents.reason.vi}; căn cứ này được ưu tiên hơn việc {match.reason.vi}")
        return Match(documents.unit, [], outranks, "documents", True)
    decision.add(Reason(f"note: {documents.reason.en}", f"lưu ý: {documents.reason.vi}"))
    return match


# ------------------------------------------------------------------ attachments


def incidental(attachment: Attachment) -> bool:
    """Not meant as the report: images, text and HTML parts, signatures, and empty files whose
    name is not a document's. A picture, text or web page named as a document ("Báo cáo.pdf"
    that is an HTML error page saved from a portal) was sent as the report: it is not passed
    over, the sender is told it cannot be read."""
    if attachment.problem:
        return False
    named_as_document = attachment.filename.lower().endswith(_DOCUMENT_EXTENSIONS)
    if attachment.kind in _INCIDENTAL_KINDS:
        return not named_as_document
    if attachment.content_type in _SIGNATURE_TYPES:
        return True
    if attachment.filename.lower().endswith((".p7s", ".asc", ".sig", ".ics", ".vcf")):
        return True
    return attachment.kind == "empty" and not named_as_document


def _refused(attachment: Attachment, reason: str, reason_vi: str) -> Extraction:
    return Extraction(file=attachment.filename, format=attachment.kind, error=reason, error_vi=reason_vi)


def _read(extract: Extract, attachment: Attachment, campaign: Campaign, unit_id: str | None) -> Extraction:
    try:
        return extract(attachment.data, attachment.filename, campaign, unit_id)
    except Exception as exc:  # a reader bug on one hostile file must not stop the worker
        return _refused(attachment, f"the reader failed: {type(exc).__name__}: {exc}", _READER_FAILED_VI)


def read_attachments(message: ParsedMessage, campaign: Campaign, decision: Decision, extract: Extract) -> None:
    """Every attachment that may be a report is read: docx/pdf/xlsx/doc through the reader,
    without a unit, so that the reader tells who issued it; each byte-identical file once. What
    cannot be read is kept with the reason; incidental files are passed over."""
    seen: set[str] = set()
    images = 0
    for attachment in message.attachments:
        if incidental(attachment):
            images += attachment.kind == "image"
            continue
        digest = hashlib.sha256(attachment.data).hexdigest()
        if attachment.data and digest in seen:
            decision.add(Reason(f"{attachment.filename!r} attached twice: read once",
                                f"tệp {_quoted(attachment.filename)} được đính kèm hai lần: chỉ đọc một lần"))
            continue
        seen.add(digest)
        if attachment.problem:
            refused = _refused(attachment, attachment.problem,
                               attachment.problem_vi or attachment.problem)
        elif attachment.kind in DOCUMENT_FORMATS:
            result = _read(extract, attachment, campaign, None)
            if result.error is None:
                decision.documents.append((attachment, result))
                continue
            refused = result
        else:
            reason, reason_vi = KIND_REASONS.get(
                attachment.kind, (f"{attachment.kind} file is not a report format", _NOT_A_REPORT_VI))
            if attachment.filename.lower() == "winmail.dat":
                reason = "Outlook TNEF container (winmail.dat) is not supported"
            refused = _refused(attachment, reason, reason_vi)
        decision.unreadable.append((attachment, refused))
        where = _where(attachment)
        decision.add(Reason(f"{attachment.filename!r}{where.en}: {refused.error}",
                            f"{_quoted(attachment.filename)}{where.vi}: {refused.error_vi or _READER_FAILED_VI}"))
    for attachment, extraction in decision.documents:
        where = _where(attachment)
        scanned = Reason(", scanned", ", bản scan") if extraction.scanned else Reason("", "")
        decision.add(Reason(f"read {attachment.filename!r}{where.en} ({extraction.format}{scanned.en})",
                            f"đã đọc tệp {_quoted(attachment.filename)}{where.vi} ({extraction.format}{scanned.vi})"))
    if images and not decision.documents and not decision.unreadable:
        decision.add(Reason(f"{images} image(s) only, not counted as a report",
                            f"chỉ có {images} tệp ảnh, không được tính là báo cáo"))


def read_again_as_unit(campaign: Campaign, decision: Decision, extract: Extract) -> None:
    """A text document whose issuer, as the reader told it, is not the unit decided is read
    again with that unit, so that the outline checked is the unit's own."""
    if decision.unit is None:
        return
    for n, (attachment, extraction) in enumerate(decision.documents):
        if extraction.unit != decision.unit and not extraction.scanned:
            again = _read(extract, attachment, campaign, decision.unit)
            if again.error is None:
                decision.documents[n] = (attachment, again)


# ------------------------------------------------------------------ category and action


def links(message: ParsedMessage, campaign: Campaign) -> list[str]:
    """File-sharing links in the sender's own words, plain text and HTML alike."""
    texts = [own_words(message.text, campaign)]
    if message.html:
        texts.append(own_words(html_to_text(message.html), campaign))
    found = []
    for text in texts:
        for token in _URL_TOKEN.findall(text):
            url = token.rstrip(".,;:!?")
            host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/", 1)[0].lower()
            if any(host == h or host.endswith("." + h) for h in LINK_HOSTS) and url not in found:
                found.append(url)
    return found


def about_reports(message: ParsedMessage, words: str) -> bool:
    """Whether the message writes about a report (subject, own words, file names)."""
    text = fold(" ".join([message.subject, words, *(a.filename for a in message.attachments)]))
    return any(f" {w} " in f" {text} " for w in REPORT_WORDS)


# A day in the sender's words: "13/5", "13/5/2024", "13-5-2024", "ngày 13 tháng 5 năm 2024";
# not a document number ("số 12/5").
_DAY = re.compile(r"(?<![\w/.-])(?<!số )(?:(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?"
                  r"|(\d{1,2}) tháng (\d{1,2})(?: năm (\d{4}))?)(?![\w/])")


def promised_date(words: str, message: ParsedMessage, campaign: Campaign) -> dt.date | None:
    """The first day the sender's own words name from the day it wrote on (a note without a file
    says when the report will come: "sẽ gửi trong ngày 13/5/2024"); earlier days are citations
    (the plan's date). None when there is none."""
    sent = message.date or dt.datetime.now(campaign.tz)
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.timezone.utc)
    today = sent.astimezone(campaign.tz).date()
    for match in _DAY.finditer(collapse(words).lower()):
        day, month, year = (int(g) if g else None for g in
                            (match.group(1) or match.group(4), match.group(2) or match.group(5),
                             match.group(3) or match.group(6)))
        try:
            named = dt.date(year or today.year, month, day)
        except ValueError:
            continue
        if named >= today:
            return named
    return None


def what_was_sent(message: ParsedMessage, campaign: Campaign, decision: Decision, words: str) -> Hit:
    """The last rule, once the documents are read and the unit told. Documents make a report
    (unit known: `report_hit`) or an unmatched message; files that are all unreadable make it
    unsupported; a file-sharing link alone makes it link_only; else a person's message. A sender
    that is no unit and does not write about a report gets no reply and no place in the review:
    that is `other` (spam, unrelated mail)."""
    known = decision.unit is not None
    if decision.documents:
        if known:
            return report_hit(campaign, decision)
        return Hit("unmatched_report", None if decision.candidates else Reason(
            "the unit cannot be told from the address, the names or the documents",
            "không xác định được đơn vị gửi từ địa chỉ, tên gọi hay văn bản đính kèm"))
    if not (known or about_reports(message, words)):
        return Hit("unrelated", Reason("not from a unit and not about a report",
                                       "thư không phải của đơn vị báo cáo và không liên quan đến báo cáo"))
    unknown = () if known or decision.candidates else (
        Reason("the unit cannot be told", "không xác định được đơn vị gửi"),)
    shared = links(message, campaign)
    if decision.unreadable:
        return Hit("unreadable_files", Reason(
            "no attachment can be read: the sender is asked to resend it as .docx or .pdf",
            "không đọc được tệp đính kèm nào: hệ thống đề nghị người gửi gửi lại tệp .docx hoặc .pdf"), unknown)
    if shared:
        decision.links = shared
        return Hit("unit_link_only" if known else "link_only",
                   Reason("the report is only a link: " + ", ".join(shared[:3]),
                          "báo cáo chỉ gửi dưới dạng đường liên kết: " + ", ".join(shared[:3])), unknown)
    decision.promised = promised_date(words, message, campaign)
    promised = (Reason(f"the sender says the report will come on {decision.promised.isoformat()}",
                       f"người gửi báo sẽ gửi báo cáo {vn_date(decision.promised)}"),) if decision.promised else ()
    return Hit("unit_note" if known else "no_attachment", Reason("no document attached", "thư không có tệp đính kèm"),
               promised + unknown)


def report_hit(campaign: Campaign, decision: Decision) -> Hit:
    """For a unit's report: ask for the Word file when every document is a scan (the plan asks
    for it); ask for what is missing when the outline items or the appendix are not all there,
    over all the documents of the message together (a DOCX and its appendix workbook make one
    report); else acknowledge (`settle` holds it for review when the mail was auto-generated)."""
    extractions = [extraction for _, extraction in decision.documents]
    if all(e.scanned for e in extractions):
        return Hit("scanned_report", Reason("only scanned copies: the Word file is asked for",
                                            "chỉ có bản scan: hệ thống đề nghị đơn vị gửi tệp Word"))
    decision.missing = missing_items(campaign, decision.unit, extractions)
    if decision.missing:
        listed = ", ".join(decision.missing)
        return Hit("incomplete_report", Reason(f"missing outline items: {listed}",
                                               f"còn thiếu các mục của đề cương: {listed}"))
    if campaign.outline_of(decision.unit):
        return Hit("complete_report", Reason("every outline item is present", "đủ các mục của đề cương"))
    return Hit("complete_report", Reason("no outline applies to this unit", "không có đề cương áp dụng cho đơn vị này"))


def report_action(campaign: Campaign, decision: Decision) -> None:
    """The category, action and reason of a unit's report (commands.review: an assigned one)."""
    settle(decision, report_hit(campaign, decision))
