"""The real type of a file, told from its bytes (magic numbers), not from a claimed Content-Type
or file name: `application/octet-stream` with a DOCX inside is a DOCX."""
from __future__ import annotations

import io
import zipfile

# Formats the reader can turn into data.
DOCUMENT_FORMATS = frozenset({"docx", "pdf", "xlsx", "doc"})


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:5000])
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return "corrupt"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "content.xml" in names and "mimetype" in names:
        return "odf"
    return "zip"


def sniff(data: bytes, filename: str = "") -> str:
    """One of: docx, xlsx, pdf, doc, xls, rtf, zip, rar, 7z, gz, odf, pptx, exe, image, eml,
    html, text, empty, corrupt, unknown."""
    head = data[:2048]
    name = filename.lower()
    if not data:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(data)
        if kind == "corrupt" and name.endswith((".docx", ".xlsx", ".docm", ".xlsm")):
            return "corrupt"
        return "zip" if kind == "corrupt" else kind
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # OLE2: Word 97-2003, Excel 97-2003, or an encrypted OOXML file.
        if name.endswith((".xls", ".xlt")):
            return "xls"
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data[:65536]:
            return "encrypted"
        return "doc"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        return "exe"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")) or head[8:12] == b"WEBP":
        return "image"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    if stripped.startswith(b"{\\rtf"):
        # Word's "Rich Text Format", often saved under a .doc name by office software.
        return "rtf"
    if name.endswith(".eml") or _looks_like_mail(head):
        return "eml"
    if name.endswith(".pdf"):
        return "corrupt"
    if name.endswith((".docx", ".xlsx", ".doc")):
        return "corrupt"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def _looks_like_mail(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].lower()
    return any(first.startswith(h) for h in (b"return-path:", b"received:", b"from:", b"message-id:",
                                              b"mime-version:", b"delivered-to:", b"date:"))
