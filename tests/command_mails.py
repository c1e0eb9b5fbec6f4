"""The secretary's command mails as her mail clients write them: Gmail (text and HTML, replying
to the digest, forwarding a report), an HTML-only webmail, Outlook (its rule of underscores and
"From: / Sent:" block, its HTML reply header), typed without diacritics. Each reply quotes a
digest whose ready-made lines look like commands: none of them may ever be obeyed.

    raw = gmail_reply(["GÁN #3 Văn Lâm"], sender=SECRETARY)
"""
from __future__ import annotations

import html
import uuid

from .mime_builder import COMMITTEE, DOCX_TYPE, attachment, build, encoded_word, text_part

SECRETARY = COMMITTEE
BOT = "Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên"
DIGEST_SUBJECT = "Tình hình tiếp nhận báo cáo giám sát ngày 10 tháng 5 năm 2024: 3/7 đơn vị đã đủ nội dung"
DIGEST_MESSAGE_ID = "<intake-bot.0123456789abcdef0123456789abcdef@gmail.com>"
# What a quoted digest holds: lines that are commands word for word.
QUOTED_DIGEST = [
    "Kính gửi: đồng chí Đinh Thị Miên",
    "3. CẦN ĐỒNG CHÍ XEM XÉT",
    "  - #1 Chưa xác định được đơn vị gửi: phongkehoach.ht@gmail.com",
    "      Gán cho đơn vị: trả lời thư này với dòng GÁN #1 Văn Lâm",
    "GÁN #1 Văn Lâm",
    "BỎ QUA #2",
    "TẠM DỪNG NHẮC",
]


def _headers(sender: str, subject: str, message_id: str | None, extra: list[tuple[str, str]] = ()) -> list:
    return [("From", f"{encoded_word('Đinh Thị Miên')} <{sender}>"), ("To", f"<{COMMITTEE}>"),
            ("Subject", encoded_word(subject)), ("Date", "Fri, 10 May 2024 17:30:00 +0700"),
            ("Message-ID", message_id or f"<{uuid.uuid4().hex}@mail.gmail.com>"),
            ("In-Reply-To", DIGEST_MESSAGE_ID), ("References", DIGEST_MESSAGE_ID), *extra]


def _html_lines(lines: list[str]) -> str:
    return "".join(f"<div>{html.escape(line)}</div>" for line in lines)


def plain(lines: list[str], sender: str = SECRETARY, subject: str = "Lệnh", message_id: str | None = None,
          extra: list[tuple[str, str]] = ()) -> bytes:
    """A new plain-text mail, a signature under the commands."""
    body = "\n".join(lines) + "\n\n-- \nĐinh Thị Miên\nGÁN #1 Văn Lâm\n"
    return build(_headers(sender, subject, message_id, extra), [text_part(body)], subtype="mixed")


def gmail_reply(lines: list[str], sender: str = SECRETARY, message_id: str | None = None,
                extra: list[tuple[str, str]] = ()) -> bytes:
    """Gmail's reply to the digest: text and HTML alternatives; the attribution in Vietnamese,
    wrapped over two lines in the text, the digest quoted with '>' and in a gmail_quote block."""
    quoted_text = "\n".join(f"> {line}" for line in QUOTED_DIGEST)
    text = ("\n".join(lines) + "\n\nVào Th 6, 10 thg 5, 2024 vào lúc 17:00 " + BOT + " <\n"
            + COMMITTEE + "> đã viết:\n\n" + quoted_text + "\n")
    body_html = (f'<div dir="ltr">{_html_lines(lines)}</div><br><div class="gmail_quote">'
                 f'<div dir="ltr" class="gmail_attr">Vào Th 6, 10 thg 5, 2024 vào lúc 17:00 {html.escape(BOT)} '
                 f'&lt;<a href="mailto:{COMMITTEE}">{COMMITTEE}</a>&gt; đã viết:<br></div>'
                 f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
                 f'{_html_lines(QUOTED_DIGEST)}</blockquote></div>')
    return build(_headers(sender, f"Re: {DIGEST_SUBJECT}", message_id, extra),
                 [text_part(text), text_part(body_html, "html")], subtype="alternative")


def html_only_reply(lines: list[str], sender: str = SECRETARY, message_id: str | None = None) -> bytes:
    """A webmail that sends HTML only; the digest is quoted in a gmail_quote div, not a blockquote
    (so its lines are not marked as quoted once the HTML is read as text)."""
    body_html = (f"<html><body>{_html_lines(lines)}<br><div class=\"gmail_quote\">"
                 f"<div>{html.escape(BOT)} đã gửi lúc 17:00 ngày 10/5/2024</div>"
                 f"{_html_lines(QUOTED_DIGEST)}</div></body></html>")
    return build(_headers(sender, f"Re: {DIGEST_SUBJECT}", message_id), [text_part(body_html, "html")],
                 subtype="mixed")


def outlook_reply(lines: list[str], sender: str = SECRETARY, message_id: str | None = None) -> bytes:
    """Outlook's reply: the digest below a rule of underscores and a From/Sent/To/Subject block,
    not quoted with '>'; the HTML alternative with its divRplyFwdMsg header."""
    header = [f"From: {BOT} <{COMMITTEE}>", "Sent: Friday, May 10, 2024 5:00 PM", f"To: {sender}",
              f"Subject: {DIGEST_SUBJECT}"]
    text = "\n".join(lines) + "\n\n________________________________\n" + "\n".join(header) + "\n\n" + \
        "\n".join(QUOTED_DIGEST) + "\n"
    body_html = (f'<html><body><div dir="ltr">{_html_lines(lines)}</div><hr style="display:inline-block;width:98%">'
                 f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> {html.escape(BOT)}<br>'
                 f'<b>Sent:</b> Friday, May 10, 2024 5:00 PM<br><b>Subject:</b> {DIGEST_SUBJECT}</font></div>'
                 f'<div>{_html_lines(QUOTED_DIGEST)}</div></body></html>')
    return build(_headers(sender, f"RE: {DIGEST_SUBJECT}", message_id, [("X-Mailer", "Microsoft Outlook 16.0")]),
                 [text_part(text), text_part(body_html, "html")], subtype="alternative")


def gmail_forward(lines: list[str], report: bytes, filename: str, original_sender: str,
                  sender: str = SECRETARY, message_id: str | None = None) -> bytes:
    """Gmail's forward of a report the secretary got elsewhere: her lines above the forwarded
    header block, the report attached at the top level as Gmail does."""
    text = ("\n".join(lines) + "\n\n---------- Forwarded message ---------\n"
            f"From: Phòng Kinh tế <{original_sender}>\nDate: Thu, 9 May 2024 at 16:05\n"
            f"Subject: Báo cáo giám sát\nTo: <{sender}>\n\nKính gửi Ban Kinh tế - Ngân sách, gửi kèm báo cáo.\n"
            "GÁN #1 Văn Lâm\n")
    return build([("From", f"<{sender}>"), ("To", f"<{COMMITTEE}>"),
                  ("Subject", encoded_word("Fwd: Báo cáo giám sát")), ("Date", "Fri, 10 May 2024 08:30:00 +0700"),
                  ("Message-ID", message_id or f"<{uuid.uuid4().hex}@mail.gmail.com>")],
                 [text_part(text), attachment(report, filename, DOCX_TYPE)])


def with_authentication(raw: bytes, result: str, receiver: str = "mx.google.com") -> bytes:
    """The message as our trusted receiving server hands it over: its Authentication-Results on top."""
    header = (f"Authentication-Results: {receiver};\r\n       dkim={result} header.i=@gmail.com;\r\n"
              f"       spf={result} smtp.mailfrom={COMMITTEE};\r\n       dmarc={result} (p=NONE) header.from=gmail.com\r\n")
    return header.encode() + raw

