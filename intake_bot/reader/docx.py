"""DOCX -> Content. (Minimal first version: body paragraphs and tables in order.)"""
from __future__ import annotations

import io

import docx
from docx.table import Table as DocxTable

from .model import Content, Paragraph, Table


def _heading_level(style_name: str) -> int | None:
    name = (style_name or "").lower()
    if name.startswith("heading ") and name[8:].strip().isdigit():
        return int(name[8:].strip())
    return None


def read_docx(data: bytes) -> Content:
    document = docx.Document(io.BytesIO(data))
    content = Content(format="docx")
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            content.blocks.append(Table(rows=[[c.text for c in row.cells] for row in item.rows]))
        else:
            runs = [r for r in item.runs if r.text.strip()]
            content.blocks.append(Paragraph(
                text=item.text,
                bold=bool(runs) and all(r.bold for r in runs),
                style_level=_heading_level(item.style.name if item.style is not None else ""),
            ))
    return content
