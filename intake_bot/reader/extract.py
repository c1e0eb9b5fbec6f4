"""File bytes -> Extraction: dispatch to the format reader, then run the analysers.
(First version: DOCX content only; header, outline and appendix analysers come next.)"""
from __future__ import annotations

from pathlib import Path

from ..config import Campaign
from ..filetype import sniff
from .model import Extraction, UnreadableFile
from .docx import read_docx


def extract_bytes(data: bytes, filename: str, campaign: Campaign, unit_id: str | None = None) -> Extraction:
    fmt = sniff(data, filename)
    result = Extraction(file=filename, format=fmt)
    try:
        if fmt == "docx":
            read_docx(data)
        else:
            raise UnreadableFile(f"not a readable report format ({fmt})",
                                 "Tệp không phải định dạng báo cáo đọc được (Word, PDF hoặc Excel).")
    except UnreadableFile as exc:
        result.error, result.error_vi = exc.reason, exc.reason_vi
    return result


def extract_path(path: str | Path, campaign: Campaign, unit_id: str | None = None) -> Extraction:
    path = Path(path)
    return extract_bytes(path.read_bytes(), path.name, campaign, unit_id)
