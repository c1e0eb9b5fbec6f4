"""The secretary's command mail (../shared/spec/commands.md): where the command lines are, and
the confirmation that answers every command mail. Who may command is classify.command_mail's
rule; what the commands do is the commands package's.

    command_lines(message)                              -> [str]   subject + own text above the first quote
    confirmation(campaign, message, results, help, now) -> Draft   the one reply, in Vietnamese

Only the text she wrote counts: a reply to the digest quotes the digest, whose ready-made lines
("GÁN #12 Văn Lâm") would otherwise be read as commands. So the body is cut at the first quoted
part of any mail client, never resumed below it (unlike classify.own_words, which keeps a
forwarded cover note), and at the signature.
"""
from __future__ import annotations

import datetime as dt
import email.message
import re

from .config import Campaign
from .draft import Draft
from .message import ParsedMessage, html_to_text
from .outbox import key_ident
from .templating import environment, render
from .text import shown_name

REPLY_KIND = "command_reply"
KEY_PREFIX = "confirm:"
# Command lines are short; a mail is read to this many lines of its own text, each to this many
# characters (a pasted report is not a list of commands).
MAX_LINES = 100
MAX_LINE_CHARS = 300

# Reply and forward markers of a subject, in the languages the committee's mail clients use.
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tl|tr|aw|wg|sv|vs|trả lời|chuyển tiếp|phản hồi)\s*(\[\d+\])?\s*:\s*)+",
                             re.IGNORECASE)
# Where a quoted or forwarded message begins in a plain-text body.
_SEPARATOR = re.compile(
    r"^\s*(-{2,}|_{2,}|={2,}|\*{2,})?\s*(original message|forwarded message|begin forwarded message|"
    r"thư gốc|thư chuyển tiếp|thư được chuyển tiếp|tin nhắn gốc|tin nhắn chuyển tiếp)\s*[-_=*:]*\s*$",
    re.IGNORECASE)
_RULE = re.compile(r"^\s*_{8,}\s*$")  # Outlook draws a line above the quoted message's headers
_WROTE_END = re.compile(r"(\bwrote|đã viết|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)
_WROTE_START = re.compile(r"^\s*(on|vào|le|am)\s", re.IGNORECASE)
_HEADER = re.compile(r"^\s*\*?(from|sent|date|to|cc|subject|từ|đã gửi|ngày gửi|ngày|đến|gửi|chủ đề|tiêu đề)"
                     r"\*?\s*:", re.IGNORECASE)
_FROM = re.compile(r"^\s*\*?(from|từ)\*?\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^-- ?$")
# HTML elements that begin the quoted part: Gmail's quote, Outlook's reply header and separator,
# Thunderbird's citation prefix, Apple Mail's and Yahoo's blockquotes.
_HTML_QUOTE = re.compile(
    r"<blockquote\b|<div\b[^<>]{0,2000}?(gmail_quote|gmail_attr|divRplyFwdMsg|appendonsend|moz-cite-prefix|yahoo_quoted"
    r"|border-top:\s*solid\s*#[0-9a-f]{6})", re.IGNORECASE)


def command_lines(message: ParsedMessage) -> list[str]:
    """The lines that may hold commands, in order: the subject without its Re:/Fwd: prefixes,
    then the body's own text above the first quoted part. An HTML-only mail is read through its
    text, cut at its quote block first."""
    subject = _SUBJECT_PREFIX.sub("", message.subject or "").strip()
    body = message.text or ""
    if message.html and body == html_to_text(message.html):
        body = html_to_text(_above_html_quote(message.html))
    lines = [subject] if subject else []
    lines += [line.strip()[:MAX_LINE_CHARS] for line in own_text(body).splitlines() if line.strip()]
    return lines[:MAX_LINES]


def own_text(text: str) -> str:
    """The text above the first quoted part: `>` lines, an attribution ("On ... wrote:",
    "Vào ... đã viết:", also wrapped over up to three lines), a separator ("-----Original
    Message-----", "---------- Forwarded message ---------", Outlook's rule of underscores), a
    quoted header block ("From: ... Sent: ..."), or the signature separator "-- "."""
    lines = text.replace("\r\n", "\n").split("\n")
    for n, line in enumerate(lines):
        stripped = line.strip()
        if (stripped.startswith(">") or _SEPARATOR.match(stripped) or _RULE.match(line)
                or _SIGNATURE.match(line.rstrip("\r")) or _attribution_at(lines, n) or _header_block_at(lines, n)):
            return "\n".join(lines[:n])
    return "\n".join(lines)


def _attribution_at(lines: list[str], n: int) -> bool:
    if len(lines[n]) < 400 and _WROTE_END.search(lines[n].strip()):
        return True
    if not _WROTE_START.match(lines[n]):
        return False
    joined = " ".join(line.strip() for line in lines[n:n + 3])
    return len(joined) < 400 and any(_WROTE_END.search(" ".join(l.strip() for l in lines[n:n + k]))
                                     for k in (2, 3))


def _header_block_at(lines: list[str], n: int) -> bool:
    """"From: ..." followed by at least one more header line ("Sent:", "To:", "Subject:")."""
    return bool(_FROM.match(lines[n])) and n + 1 < len(lines) and bool(_HEADER.match(lines[n + 1]))


def _above_html_quote(html: str) -> str:
    found = _HTML_QUOTE.search(html)
    return html[:found.start()] if found else html


def confirmation_key(message: ParsedMessage, source_key: str, sender: str) -> str:
    """`confirm:<sender>:<Message-ID>` (the source key without one): the same command mail seen
    again, under any key, is confirmed once."""
    return f"{KEY_PREFIX}{sender.lower()}:{key_ident(message.message_id, source_key)}"


def confirmation(campaign: Campaign, message: ParsedMessage, results: list, help_text: str,
                 now: dt.datetime) -> Draft:
    """The one reply to a command mail: to the sender only, threaded under it. Each command line
    with what it did or why not (with the closest valid form), its #C and how to undo it; the
    help text when no line was a command."""
    env = environment(campaign.templates_dir)
    context = {
        "campaign": campaign,
        "commander": campaign.commanders.get(message.from_address.strip().lower(), ""),
        "subject": shown_name(message.subject or "", 120),
        "received_at": now.astimezone(campaign.tz),
        "results": [{"line": r.line, "command": r.name_vi, "done": r.ok, "ref": r.ref, "effect": r.effect_vi,
                     "suggestion": r.suggestion_vi, "undo": r.undo_vi} for r in results],
        "done": sum(r.ok for r in results),
        "refused": sum(not r.ok for r in results),
        "help": help_text if not results else "",
    }
    earlier = list(message.references or [])
    return Draft(kind=REPLY_KIND, to=[message.from_address],
                 subject=" ".join(render(env, "command_reply.subject.j2", context).split()),
                 text=render(env, "command_reply.txt.j2", context),
                 in_reply_to=message.message_id,
                 references=[*earlier, *([message.message_id] if message.message_id else [])])


def sample_confirmations(campaign: Campaign) -> list[Draft]:
    """A confirmation with a line done and a line refused, and the help reply: what `intake-bot
    check` renders, so that a broken template fails at start-up, not at her first command."""
    from .commands import LineResult, help_text

    message = ParsedMessage(message_id="<sample@example.vn>", from_address=campaign.secretary_email,
                            from_name="", to=[], cc=[], subject="Re: Tổng hợp", date=None,
                            headers=email.message.Message(), text="", html="")
    now = dt.datetime.combine(campaign.deadline, dt.time(9), campaign.tz)
    results = [LineResult("GÁN #12 Văn Lâm", "GÁN", True, 17, "thư #12 là báo cáo của đơn vị", None, "HOÀN TÁC #17"),
               LineResult("GIA HAN Văn Lâm 32/5", "GIA HẠN", False, 18, "ngày không hợp lệ", "GIA HẠN Văn Lâm 20/5/2024")]
    return [confirmation(campaign, message, results, "", now),
            confirmation(campaign, message, [], help_text(campaign), now)]
