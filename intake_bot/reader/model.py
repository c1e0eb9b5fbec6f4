"""Plain data shared by the format readers and the analysers.

A format reader (docx, pdf, xlsx, doc) turns a file into `Content`: paragraphs and tables in
reading order, as printed. The analysers (header, outline, appendix) read only `Content`, so
they work the same whatever the file format was.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..reason import Reason

METADATA_FIELDS = ("issuer", "number", "date", "doc_type", "title", "signer")


@dataclass
class Paragraph:
    """One paragraph (or, in a PDF, one line) as printed.

    `text` includes a list number that Word renders from numbering.xml ("I. ", "1. ", "a) ").
    `style_level` is the heading level given by a heading style (Heading 1 → 1), else None.
    `bold` is true when all of its visible text is bold.
    """

    text: str
    bold: bool = False
    style_level: int | None = None
    centered: bool = False
    page: int | None = None


@dataclass
class Table:
    """A table as a grid: one string per grid column; a merged cell's text stands once, in its
    first column, and the cells it covers hold ""."""

    rows: list[list[str]]
    page: int | None = None


Block = Paragraph | Table


@dataclass
class Content:
    """What a format reader found. Each warning is worded where it is made, in English for the
    operator and in Vietnamese for the secretary."""

    format: str
    blocks: list[Block] = field(default_factory=list)
    scanned: bool = False
    pages: int | None = None
    warnings: list[Reason] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file cannot be read at all. `reason` is English for the operator, `reason_vi` is the
    polite Vietnamese sentence for the sender."""

    def __init__(self, reason: str, reason_vi: str):
        super().__init__(reason)
        self.reason = reason
        self.reason_vi = reason_vi


def empty_metadata() -> dict:
    return {name: None for name in METADATA_FIELDS}


@dataclass
class Extraction:
    """What `intake-bot extract FILE --json` prints (docs/json.md), plus bookkeeping.

    `warnings` are in English for the operator, `warnings_vi` the same warnings in Vietnamese
    for the secretary (the digest), in the same order; both grow together through `warn`."""

    file: str
    format: str
    scanned: bool = False
    unit: str | None = None
    metadata: dict = field(default_factory=empty_metadata)
    outline: dict | None = None
    sections: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warnings_vi: list[str] = field(default_factory=list)
    error: str | None = None
    error_vi: str | None = None

    def warn(self, *warnings: Reason) -> None:
        for warning in warnings:
            self.warnings.append(warning.en)
            self.warnings_vi.append(warning.vi)

    @property
    def readable(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        return asdict(self)
