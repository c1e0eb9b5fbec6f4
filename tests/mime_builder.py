"""Build test e-mails byte by byte, the way real mailers write them (RFC 2231 or RFC 2047 file
names, NFD names, parts with no name, forwarded messages, zip archives), without going through
the email package's generator, which would tidy up exactly what the tests need to be messy.

    raw = build([("From", "a@b"), ("Subject", "x")],
                [text_part("Kính gửi Ban"), attachment(docx_bytes("I. KHÁI QUÁT"), "BC.docx")])
"""
from __future__ import annotations

import base64
import io
import re
import struct
import uuid
import zipfile
from dataclasses import dataclass, field
from email.header import Header

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
COMMITTEE = "ktns.hdndhy@gmail.com"


@dataclass
class Part:
    content_type: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    encoding: str = "base64"

    def render(self) -> bytes:
        lines = [f"Content-Type: {self.content_type}"]
        if self.encoding:
            lines.append(f"Content-Transfer-Encoding: {self.encoding}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.encoding == "base64":
            encoded = base64.encodebytes(self.body).replace(b"\n", b"\r\n")
        else:
            encoded = self.body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n" + encoded


def text_part(text: str, subtype: str = "plain") -> Part:
    return Part(f'text/{subtype}; charset="utf-8"', text.encode("utf-8"), encoding="8bit")


def encoded_word(text: str) -> str:
    """RFC 2047 base64 encoded word(s), as Gmail writes non-ASCII file names and subjects."""
    return Header(text, "utf-8").encode()


def rfc2231(name: str, param: str = "filename") -> str:
    """An RFC 2231 parameter, split into continuations as Thunderbird does: between escapes,
    but inside a UTF-8 sequence."""
    from urllib.parse import quote

    tokens = re.findall(r"%[0-9A-F]{2}|.", quote(name.encode("utf-8"), safe=""))
    pieces = ["".join(tokens[i:i + 30]) for i in range(0, len(tokens), 30)]
    if len(pieces) == 1:
        return f"{param}*=utf-8''{pieces[0]}"
    return ";\r\n ".join(f"{param}*{n}*={'utf-8' + chr(39) * 2 if n == 0 else ''}{piece}"
                         for n, piece in enumerate(pieces))


def attachment(data: bytes, filename: str | None, content_type: str = "application/octet-stream",
               style: str = "rfc2231", disposition: str | None = "attachment",
               content_id: str | None = None) -> Part:
    """A file part. `style`: "rfc2231" (Thunderbird, Apple Mail), "rfc2047" (Gmail, Outlook:
    an encoded word inside quotes), "plain" (the name as is); `filename=None` and
    `disposition=None` give a part with neither, as some scanners send PDFs."""
    headers = []
    ctype = content_type
    if filename is not None:
        if style == "rfc2047":
            ctype += f'; name="{encoded_word(filename)}"'
            param = f'filename="{encoded_word(filename)}"'
        elif style == "rfc2231":
            param = rfc2231(filename)
        else:
            param = f'filename="{filename}"'
        if disposition:
            headers.append(("Content-Disposition", f"{disposition};\r\n {param}"))
        else:
            ctype += f'; name="{filename}"'
    elif disposition:
        headers.append(("Content-Disposition", disposition))
    if content_id:
        headers.append(("Content-ID", f"<{content_id}>"))
    return Part(ctype, data, headers)


def forwarded(raw: bytes, as_file: str | None = None) -> Part:
    """A message attached whole: message/rfc822, or an .eml file sent as octet-stream."""
    if as_file:
        return attachment(raw, as_file, "application/octet-stream", style="plain")
    return Part("message/rfc822", raw, [("Content-Disposition", "inline")], encoding="8bit")


def build(headers: list[tuple[str, str]], parts: list[Part], subtype: str = "mixed",
          extra_content_type: str = "") -> bytes:
    """A whole message: the given headers (From, To, Subject ...; Message-ID, Date and
    MIME-Version are added when missing) and a multipart/<subtype> of `parts`."""
    names = {name.lower() for name, _ in headers}
    head = list(headers)
    if "message-id" not in names:
        head.append(("Message-ID", f"<{uuid.uuid4().hex}@test.example>"))
    if "date" not in names:
        head.append(("Date", "Wed, 08 May 2024 09:14:10 +0700"))
    if "to" not in names:
        head.append(("To", COMMITTEE))
    head.append(("MIME-Version", "1.0"))
    boundary = f"=_b{uuid.uuid4().hex}"
    head.append(("Content-Type", f'multipart/{subtype}; boundary="{boundary}"{extra_content_type}'))
    out = "\r\n".join(f"{name}: {value}" for name, value in head).encode("utf-8") + b"\r\n\r\n"
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part.render() + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def simple(sender: str = "ubnd.vanlam@hungyen.gov.vn", subject: str = "V/v gửi báo cáo giám sát",
           text: str = "Kính gửi Ban Kinh tế - Ngân sách.\nĐơn vị gửi báo cáo.\nTrân trọng.",
           files: list[Part] | None = None, headers: list[tuple[str, str]] | None = None,
           html: str | None = None) -> bytes:
    """The usual case: a text body and some files, from `sender`."""
    parts = [text_part(text)] + ([text_part(html, "html")] if html else []) + list(files or [])
    return build([("From", sender), ("Subject", encoded_word(subject)), *(headers or [])], parts)


# ------------------------------------------------------------------ files


def docx_bytes(*paragraphs: str) -> bytes:
    """A real Word document with these paragraphs."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_raw_name(raw_name: bytes, data: bytes) -> bytes:
    """A zip whose member name is `raw_name` exactly, without the UTF-8 flag, as Windows zip
    tools write UTF-8 or Windows-1258 names."""
    placeholder = "n" * len(raw_name)
    archive = zip_bytes({placeholder: data})
    return archive.replace(placeholder.encode("ascii"), raw_name)


def encrypted_zip(name: str, data: bytes) -> bytes:
    """A zip whose member carries the "encrypted" flag (bit 0) in both its local header and its
    central directory entry, like a password-protected archive."""
    archive = bytearray(zip_bytes({name: data}, zipfile.ZIP_STORED))
    # The first local header and the last central entry: `data` may itself be a zip (a DOCX).
    for at, flag_offset in ((archive.find(b"PK\x03\x04"), 6), (archive.rfind(b"PK\x01\x02"), 8)):
        flags, = struct.unpack_from("<H", archive, at + flag_offset)
        struct.pack_into("<H", archive, at + flag_offset, flags | 0x1)
    return bytes(archive)
