"""Raw bytes of one e-mail -> ParsedMessage: decoded headers, the sender's text, and every
attachment as bytes with its real type, including files inside forwarded messages and .zip
archives.

The walk over the MIME tree is our own, over the standard `email` package with the compat32
policy. mail-parser (the design's first choice) is not used, for three reasons found on real mail: it
misses a PDF part that has neither a file name nor a Content-Disposition, it lists the
attachments of a forwarded message/rfc822 twice, and it cannot apply our limits while it
decodes (it materialises every attachment, at any size, and does not open archives). The one
thing it does better, recovering parts hidden in an epilogue by a broken boundary, is done
here in `_Walker._recover_epilogue`. compat32 (with raw header values) rather than
policy.default because header access under policy.default raises on some garbage headers;
every header is decoded here by `decode_header_text`, which never raises.

Nothing in this module raises on any input: malformed MIME, broken boundaries, unknown
charsets, invalid base64, NUL bytes and empty input all give a ParsedMessage whose `problems`
say what went wrong.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import email
import email.message
import email.policy
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from .config import Limits
from .filetype import sniff
from .text import nfc, printable, shown_name


class _RawHeaderPolicy(email.policy.Compat32):
    """compat32 that hands back header values exactly as received (raw 8-bit bytes as
    surrogate escapes) instead of a Header object whose str() turns them into U+FFFD:
    `decode_header_text` then decodes them as UTF-8 or Windows-1258, file names included."""

    def header_fetch_parse(self, name, value):
        return value


RAW_HEADERS = _RawHeaderPolicy()

# A message nested in a message nested in ... deeper than this is not looked into: a bound
# against hostile recursion, far beyond any real forward chain.
MAX_MESSAGE_NESTING = 10
# More MIME parts than this in one message is hostile; the rest are not read.
MAX_PARTS = 2000
# A zip member that unpacks to more than this many times its packed size is treated as a
# bomb. Checked from 1 MiB of output on: tiny members of blank text reach such ratios honestly.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

# Parts that are the machine-readable halves of reports (RFC 3464, RFC 8098): the classifier
# reads them from `ParsedMessage.headers`; they are neither body text nor attachments.
_REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status",
                           "message/disposition-notification", "message/rfc822-headers",
                           "text/rfc822-headers", "message/global-headers"})
_MESSAGE_PARTS = frozenset({"message/rfc822", "message/global"})

# Labels whose text was really written in a wider Windows charset.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "iso-8859-1": "cp1252", "latin-1": "cp1252",
             "us-ascii": "cp1252", "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "tis-620": "cp874",
             "iso-8859-11": "cp874", "shift_jis": "cp932", "big5": "big5hkscs"}

_EXTENSION = {"application/pdf": ".pdf", "application/msword": ".doc",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
              "application/zip": ".zip", "text/calendar": ".ics", "text/vcard": ".vcf",
              "text/x-vcard": ".vcf"}


@dataclass
class Attachment:
    """One file of the message. `filename` is for display only, never a path. `kind` is the
    format told from the bytes (filetype.sniff). `origin` says where the file was found: "" at
    the top level, "Fwd: <subject>" inside a forwarded message, the archive's name inside a zip
    (joined with " / " when nested). `problem` (English) and `problem_vi` (a Vietnamese sentence
    for the sender) say why the bytes are not there; `data` is then empty."""

    filename: str
    content_type: str
    data: bytes
    kind: str
    origin: str = ""
    problem: str | None = None
    problem_vi: str | None = None
    content_id: str | None = None


@dataclass
class ParsedMessage:
    """One message, decoded. `text` is the top-level plain body (or the HTML body's visible
    text when there is no plain one), never the body of a forwarded message; `html` the HTML
    body as sent. Addresses are lower case. `headers` is the root as parsed, with header values
    as received (encoded words and raw bytes undecoded): read them with `header()`. `problems`
    lists what was malformed or over a limit."""

    message_id: str | None
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    date: dt.datetime | None
    headers: email.message.Message
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    sender: str = ""

    def header(self, name: str) -> str:
        """The decoded value of the first `name` header, "" when absent."""
        return _first_header(self.headers, name)

    def header_all(self, name: str) -> list[str]:
        return _all_headers(self.headers, name)


# ------------------------------------------------------------------ text decoding


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes -> text. Bytes that are valid UTF-8 are UTF-8 whatever the label says (mislabelled
    UTF-8 is common; legacy text that happens to be valid UTF-8 is not). Otherwise the declared
    charset (or the superset that Windows really used), then Windows-1258 (Vietnamese Windows
    mail clients), then UTF-8 with replacement marks. Never raises."""
    label = (charset or "").strip().strip('"').lower()
    for candidate in ("utf-8", _SUPERSET.get(label), label, "cp1258"):
        if not candidate or candidate in ("unknown-8bit", "x-unknown", "8bit"):
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("utf-8", "replace")


def _unescape_8bit(text: str) -> str:
    """Raw 8-bit header bytes arrive from the bytes parser as surrogate escapes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("ascii", "surrogateescape"))


def decode_header_text(value) -> str:
    """A header value (str or email.header.Header) -> NFC text with RFC 2047 words decoded,
    folding undone; never raises."""
    if value is None:
        return ""
    try:
        if isinstance(value, Header):
            chunks = decode_header(value)
        else:
            chunks = decode_header(_unescape_8bit(str(value)))
    except (ValueError, binascii.Error, LookupError, UnicodeError, email.errors.HeaderParseError):
        return _collapse_folding(_unescape_8bit(str(value)))
    text = "".join(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else _unescape_8bit(chunk)
                   for chunk, charset in chunks)
    return _collapse_folding(text)


def _all_headers(root: email.message.Message, name: str) -> list[str]:
    return [decode_header_text(v) for v in root.get_all(name) or []]


def _first_header(root: email.message.Message, name: str) -> str:
    values = root.get_all(name) or []
    return decode_header_text(values[0]) if values else ""


def _collapse_folding(text: str) -> str:
    """Folding undone; controls and bidirectional overrides (which only hostile headers carry
    once decoded) dropped: see text.printable."""
    return printable(re.sub(r"\r?\n[ \t]+", " ", text)).strip()


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs; a header that cannot be parsed gives none."""
    try:
        pairs = getaddresses(values)
    except (ValueError, TypeError, IndexError):
        return []
    return [(name.strip(), addr.strip().lower()) for name, addr in pairs if "@" in addr]


class _TextFromHTML(HTMLParser):
    """Visible text of an HTML body: block elements become line breaks, scripts and styles are
    dropped, a link shows its target after its words (a Drive link hidden behind "Báo cáo"
    still reaches the classifier), and text inside <blockquote> is marked "> " like a quote
    in plain text."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "blockquote", "hr", "pre", "ul", "ol"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.quoted = 0
        self.links: list[str] = []

    def _break(self):
        self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif tag == "blockquote":
            self.quoted += 1
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag in self._BLOCKS:
            self._break()

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quoted = max(0, self.quoted - 1)
        if tag == "a" and self.links:
            href = self.links.pop()
            if href.startswith(("http://", "https://")) and href not in self.lines[-1]:
                self.lines[-1] += f" <{href}>"
        if tag in self._BLOCKS:
            self._break()

    def handle_data(self, data):
        if self.hidden:
            return
        if self.quoted and not self.lines[-1]:
            self.lines[-1] = "> " * self.quoted
        self.lines[-1] += data.replace("\n", " ")


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        pass
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in parser.lines]
    return nfc(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


# ------------------------------------------------------------------ payloads


def _raw_payload(part: email.message.Message) -> bytes:
    """The undecoded payload of a base64 part (ASCII by nature: anything else is dropped)."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return b""
    return payload.encode("ascii", "ignore")


def _lenient_base64(raw: bytes) -> tuple[bytes, bool]:
    """Base64 decoded whatever the line lengths, stray characters or missing padding; the
    second value is true when the input had to be repaired."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    repaired = bool(re.search(rb"[^A-Za-z0-9+/=\s]", raw))
    if len(cleaned) % 4 == 1:
        cleaned, repaired = cleaned[:-1], True
    return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4)), repaired


def _payload_bytes(part: email.message.Message) -> tuple[bytes, bool]:
    """The decoded bytes of a leaf part, and whether its transfer encoding was broken. Base64
    is decoded here, leniently; the rest by the email package, which keeps 8-bit bytes intact."""
    cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    if cte == "base64":
        return _lenient_base64(_raw_payload(part))
    try:
        data = part.get_payload(decode=True)
    except (ValueError, binascii.Error, TypeError, LookupError, UnicodeError):
        data = None
    if isinstance(data, bytes):
        return data, False
    return _raw_payload(part), True


def _part_text(part: email.message.Message) -> str:
    data, _ = _payload_bytes(part)
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError, UnicodeError):
        charset = None
    return nfc(decode_bytes(data, charset).replace("\x00", "").replace("\r\n", "\n"))


def _filename(part: email.message.Message) -> str:
    """The part's file name from Content-Disposition or Content-Type: RFC 2231 (continuations
    and charset), RFC 2047 inside quotes (Gmail, Outlook), raw 8-bit; NFC (Apple Mail sends
    NFD); the last path component only (old browsers sent C:\\fakepath\\...); made safe to
    show (text.shown_name: no controls or bidirectional overrides, at most 255 characters). It is
    only ever shown: the archive names files by their SHA-256."""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except (ValueError, LookupError, UnicodeError, TypeError, IndexError):
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value that get_param leaves undecoded
        name = email.utils.collapse_rfc2231_value(name)
    name = decode_header_text(str(name))
    return shown_name(re.split(r"[\\/]", name)[-1])


def _content_type(part: email.message.Message) -> str:
    try:
        return part.get_content_type()
    except (ValueError, LookupError, TypeError, IndexError):
        return "application/octet-stream"


def _disposition(part: email.message.Message) -> str:
    value = str(part.get("Content-Disposition", "") or "")
    return value.split(";", 1)[0].strip().lower()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _too_big(size: int, limits: Limits) -> tuple[str, str]:
    return (f"skipped: {_megabytes(size)} over the {limits.max_attachment_mb:g} MB limit",
            (f"Tệp có dung lượng {_megabytes(size)}, vượt quá giới hạn {limits.max_attachment_mb:g} MB; "
             "đề nghị quý cơ quan gửi tệp nhỏ hơn hoặc gửi đường link tải về."))


# ------------------------------------------------------------------ zip members


def _member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its author typed it. Without the UTF-8 flag the bytes were read
    as cp437; Windows zip tools in Vietnam write UTF-8 or Windows-1258 bytes without setting
    the flag, so the cp437 text is turned back into bytes and decoded again."""
    if info.flag_bits & 0x800:
        return nfc(info.filename)
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return nfc(info.filename)
    for encoding in ("utf-8", "cp1258"):
        try:
            return nfc(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return nfc(info.filename)


def _unsafe_path(name: str) -> bool:
    """An absolute path, a drive letter or a ".." component (zip-slip)."""
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts


class _Walker:
    """Collects the body text and the attachments of one message, with a shared budget of
    parts and of unpacked archive bytes."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.attachments: list[Attachment] = []
        self.problems: list[str] = []
        self.plain: list[str] = []
        self.html: list[str] = []
        self.parts_seen = 0
        self.unpacked_left = limits.max_unpacked_bytes
        self.unnamed = 0

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    # ---- the MIME tree

    def walk(self, part: email.message.Message, origin: str, nesting: int, top: bool) -> None:
        """Body parts of the top-level message go to the text; everything else that is a
        leaf is an attachment; forwarded messages and archives are opened."""
        self.parts_seen += 1
        if self.parts_seen > MAX_PARTS:
            self.problem(f"more than {MAX_PARTS} MIME parts: the rest were not read")
            return
        for defect in getattr(part, "defects", []):
            self.problem(f"malformed MIME ({type(defect).__name__})")
        ctype = _content_type(part)
        if ctype in _MESSAGE_PARTS:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
                self.forwarded(inner[0], origin, nesting)
            else:
                self.forwarded_bytes(_payload_bytes(part)[0], origin, nesting)
            return
        if ctype in _REPORT_PARTS:
            return
        if part.is_multipart():
            for child in part.get_payload():
                self.walk(child, origin, nesting, top)
            self._recover_epilogue(part, origin, nesting, top)
            return
        if ctype.startswith("multipart/"):
            # A multipart whose boundary was never found holds no parts; its defect is noted.
            return
        filename = _filename(part)
        if ctype in ("text/plain", "text/html") and not filename and _disposition(part) != "attachment":
            # The body; the body of a forwarded message is not the sender's words.
            if top:
                (self.plain if ctype == "text/plain" else self.html).append(_part_text(part))
            return
        self.leaf(part, ctype, filename, origin, nesting)

    def _recover_epilogue(self, part, origin, nesting, top) -> None:
        """A nested multipart that reuses its parent's boundary (seen in real malware and in
        broken mailers) leaves the parent's later parts in its epilogue; parse them again."""
        epilogue = part.epilogue or ""
        boundary = part.get_boundary()
        if not boundary or f"--{boundary}" not in epilogue:
            return
        delimiter = re.compile(rf"^--{re.escape(boundary)}(?:--)?[ \t]*\r?$", re.MULTILINE)
        for chunk in delimiter.split(epilogue):
            if chunk.strip():
                recovered = email.message_from_string(chunk.lstrip("\r\n"), policy=RAW_HEADERS)
                self.problem("broken MIME boundary: parts recovered from the epilogue")
                self.walk(recovered, origin, nesting, top)

    def forwarded(self, inner: email.message.Message, origin: str, nesting: int) -> None:
        if nesting >= MAX_MESSAGE_NESTING:
            self.problem(f"messages nested more than {MAX_MESSAGE_NESTING} deep: not read")
            return
        subject = shown_name(decode_header_text(inner.get("Subject")), 200) or "(no subject)"
        label = f"Fwd: {subject}"
        self.walk(inner, f"{origin} / {label}" if origin else label, nesting + 1, top=False)

    def forwarded_bytes(self, raw: bytes, origin: str, nesting: int) -> None:
        self.forwarded(email.message_from_bytes(raw, policy=RAW_HEADERS), origin, nesting)

    # ---- files

    def leaf(self, part, ctype: str, filename: str, origin: str, nesting: int) -> None:
        data, repaired = _payload_bytes(part)
        if not filename:
            self.unnamed += 1
            filename = f"attachment-{self.unnamed}{_EXTENSION.get(ctype, '')}"
        if repaired:
            self.problem(f"{filename}: broken transfer encoding, decoded what could be")
        content_id = str(part.get("Content-ID", "") or "").strip() or None
        self.file(filename, ctype, data, origin, nesting, archive_depth=0, content_id=content_id)

    def file(self, filename: str, ctype: str, data: bytes, origin: str, nesting: int,
             archive_depth: int, content_id: str | None = None) -> None:
        """One file, wherever it was found: a forwarded .eml is read as a message, a zip is
        opened, anything over the size limit is kept without its bytes."""
        kind = sniff(data, filename)
        if kind == "eml" and (filename.lower().endswith(".eml") or ctype.startswith("message/")
                              or ctype == "application/octet-stream"):
            self.forwarded_bytes(data, origin, nesting)
            return
        refusal = None
        if len(data) > self.limits.max_attachment_bytes:
            refusal = _too_big(len(data), self.limits)
        elif kind == "zip":
            refusal = self.open_zip(filename, data, origin, nesting, archive_depth + 1)
            if refusal is None:
                return
        problem, problem_vi = refusal or (None, None)
        self.attachments.append(Attachment(filename, ctype, b"" if refusal else data, kind, origin,
                                           problem, problem_vi, content_id))

    def open_zip(self, name: str, data: bytes, origin: str, nesting: int,
                 depth: int) -> tuple[str, str] | None:
        """Read a zip's members in memory as attachments, bounded by depth, entry count,
        compression ratio and the message's unpacked-size budget. Returns why the archive
        itself was not opened (English, Vietnamese), or None; members with a problem are
        listed with it."""
        if depth > self.limits.max_archive_depth:
            return (f"archive nested more than {self.limits.max_archive_depth} levels deep: not opened",
                    "Tệp nén lồng nhiều cấp nên không mở được; đề nghị quý cơ quan gửi trực tiếp tệp báo cáo.")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [i for i in archive.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError, RuntimeError):
            return ("damaged zip archive: cannot be opened",
                    "Tệp nén ZIP bị hỏng, không mở được; đề nghị quý cơ quan gửi lại tệp báo cáo.")
        if not members:
            return "empty zip archive", "Tệp nén ZIP không chứa tệp nào; đề nghị quý cơ quan gửi lại tệp báo cáo."
        if len(members) > self.limits.max_archive_entries:
            return ((f"zip archive holds {len(members)} files, over the limit of "
                     f"{self.limits.max_archive_entries}: not opened"),
                    (f"Tệp nén chứa {len(members)} tệp, vượt quá số lượng cho phép "
                     f"({self.limits.max_archive_entries}); đề nghị quý cơ quan chỉ gửi các tệp báo cáo."))
        label = f"{origin} / {name}" if origin else name
        for info in members:
            self.member(archive, info, label, nesting, depth)
        return None

    def member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
               nesting: int, depth: int) -> None:
        full_name = _member_name(info)
        display = shown_name(re.split(r"[\\/]", full_name)[-1] or full_name)
        if _unsafe_path(full_name):
            refusal = (f"unsafe path {shown_name(full_name, 120)!r} in the archive: not read",
                       ("Tệp trong tệp nén có đường dẫn không hợp lệ nên không được mở; "
                        "đề nghị quý cơ quan gửi trực tiếp tệp báo cáo."))
        elif info.flag_bits & 0x1:
            refusal = ("password-protected inside the archive: not read",
                       ("Tệp trong tệp nén được đặt mật khẩu nên không mở được; "
                        "đề nghị quý cơ quan gửi lại tệp không đặt mật khẩu."))
        elif info.file_size > self.limits.max_attachment_bytes:
            refusal = _too_big(info.file_size, self.limits)
        else:
            data, refusal = self._read_member(archive, info)
            if refusal is None:
                self.file(display, "application/octet-stream", data, label, nesting, depth)
                return
        kind = "encrypted" if info.flag_bits & 0x1 else "unknown"
        self.attachments.append(Attachment(display, "application/octet-stream", b"", kind, label,
                                           *refusal))

    def _read_member(self, archive: zipfile.ZipFile,
                     info: zipfile.ZipInfo) -> tuple[bytes, tuple[str, str] | None]:
        """Unpack one member in chunks, stopping as soon as it breaks the ratio or the budget:
        the sizes declared in the archive may lie."""
        out = bytearray()
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    out += chunk
                    if len(out) > self.unpacked_left:
                        self.unpacked_left = 0
                        return b"", ((f"the archive unpacks to more than "
                                      f"{self.limits.max_unpacked_mb:g} MB: not read"),
                                     (f"Tệp nén giải nén ra quá {self.limits.max_unpacked_mb:g} MB; "
                                      "đề nghị quý cơ quan gửi trực tiếp tệp báo cáo."))
                    if (len(out) >= RATIO_CHECK_FROM_BYTES
                            and len(out) > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
                        return b"", ((f"compression ratio over {MAX_COMPRESSION_RATIO}:1 "
                                      f"(a zip bomb): not read"),
                                     ("Tệp nén có tỷ lệ nén bất thường nên không được giải nén; "
                                      "đề nghị quý cơ quan gửi trực tiếp tệp báo cáo."))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
                NotImplementedError, RuntimeError) as exc:
            return b"", (f"cannot be unpacked ({type(exc).__name__})",
                         "Tệp trong tệp nén không giải nén được; đề nghị quý cơ quan gửi trực tiếp tệp báo cáo.")
        self.unpacked_left -= len(out)
        return bytes(out), None


# ------------------------------------------------------------------ the message


def _headers_only(raw: bytes) -> bytes:
    end = re.search(rb"\r?\n\r?\n", raw)
    return raw[:end.end()] if end else raw[:65536]


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)


def parse_message(raw: bytes, limits: Limits) -> ParsedMessage:
    """Parse one RFC 5322 message. A message over `limits.max_message_bytes` is read for its
    headers only and carries a placeholder attachment that says why; so is one whose MIME
    nesting is too deep for the parser."""
    raw = raw or b""
    walker = _Walker(limits)
    if not raw.strip():
        walker.problem("empty message")
    if len(raw) > limits.max_message_bytes:
        root = email.message_from_bytes(_headers_only(raw), policy=RAW_HEADERS)
        walker.attachments.append(Attachment(
            "(the whole message)", "message/rfc822", b"", "unknown", "",
            f"skipped: the message is {_megabytes(len(raw))}, over the {limits.max_message_mb:g} MB limit",
            f"Thư có dung lượng {_megabytes(len(raw))}, vượt quá giới hạn {limits.max_message_mb:g} MB; "
            "đề nghị quý cơ quan gửi các tệp trong nhiều thư nhỏ hơn."))
        return _envelope(root, walker)
    try:
        root = email.message_from_bytes(raw, policy=RAW_HEADERS)
        walker.walk(root, "", 0, top=True)
    except RecursionError:
        root = email.message_from_bytes(_headers_only(raw), policy=RAW_HEADERS)
        walker.problem("MIME structure nested too deep: parts not read")
    return _envelope(root, walker)


def _envelope(root: email.message.Message, walker: _Walker) -> ParsedMessage:
    senders = _addresses(_all_headers(root, "From"))
    from_name, from_address = senders[0] if senders else ("", "")
    if not senders and _first_header(root, "From"):
        walker.problem("unreadable From header")
    sender = _addresses(_all_headers(root, "Sender"))
    plain = "\n\n".join(t for t in walker.plain if t.strip())
    html = "\n".join(walker.html)
    message_id = _first_header(root, "Message-ID")
    in_reply_to = _message_ids(_first_header(root, "In-Reply-To"))
    return ParsedMessage(
        message_id=(_message_ids(message_id) or [message_id])[0] if message_id else None,
        from_address=from_address,
        from_name=from_name,
        to=[a for _, a in _addresses(_all_headers(root, "To"))],
        cc=[a for _, a in _addresses(_all_headers(root, "Cc"))],
        subject=_first_header(root, "Subject"),
        date=_date(_first_header(root, "Date")),
        headers=root,
        text=plain or html_to_text(html),
        html=html,
        attachments=walker.attachments,
        problems=walker.problems,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_message_ids(" ".join(_all_headers(root, "References"))),
        reply_to=[a for _, a in _addresses(_all_headers(root, "Reply-To"))],
        sender=sender[0][1] if sender else "",
    )
