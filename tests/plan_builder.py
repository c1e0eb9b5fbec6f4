"""Supervision plans as Word files, for the `init` tests: a plan written in the light markup of
the seed (tests/fixtures/plans/*.md, copied from ../shared/seed) becomes a .docx with real
heading styles, bold runs and ruled annex tables; `to_pdf` prints it through LibreOffice (or
saves it as .doc).

Markup, one paragraph a line: "#"… "####" a heading (Heading 1-4), "**text**" a bold paragraph,
"**1.** text" a bold number run into plain text, "*text*" italics (read as plain), a line with
tabs a table row (consecutive rows one table; "<b>" marks dropped), "---" and blank lines nothing;
"****" glued between two bold paragraphs starts a new one; a line ending in two spaces is a line
of its own.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .docx_builder import build_docx, paragraph, run, table

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def _plain(text: str) -> str:
    """The printed text of a marked-up line: no stars, links as their text."""
    text = _LINK.sub(r"\1", text)
    return re.sub(r"\*+", "", text).strip()


def _runs(line: str) -> list[str]:
    """A line as runs: bold where "**" marks it, plain elsewhere."""
    runs, at = [], 0
    for match in _BOLD.finditer(line):
        if line[at:match.start()].strip("* "):
            runs.append(run(_plain(line[at:match.start()]) + " "))
        runs.append(run(_plain(match.group(1)) + " ", bold=True))
        at = match.end()
    if _plain(line[at:]):
        runs.append(run(_plain(line[at:])))
    return runs


def plan_blocks(markup: str) -> list[str]:
    """The body XML of the plan."""
    blocks: list[str] = []
    rows: list[list[str]] = []
    for raw in markup.replace("****", "**\n**").splitlines():
        line = raw.strip()
        if "\t" in raw:
            rows.append([re.sub(r"</?b>", "", cell).strip() for cell in raw.split("\t")])
            continue
        if rows:
            width = max(len(r) for r in rows)
            blocks.append(table([r + [""] * (width - len(r)) for r in rows], borders=True))
            blocks.append(paragraph(""))
            rows = []
        if not line or line == "---":
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            blocks.append(paragraph(_plain(heading.group(2)), style=f"Heading{min(len(heading.group(1)), 4)}"))
        elif line.startswith("**") and line.endswith("**") and "**" not in line[2:-2]:
            blocks.append(paragraph(_plain(line), bold=True))
        else:
            blocks.append(paragraph(*_runs(line)))
    if rows:
        blocks.append(table(rows, borders=True))
    return blocks


def build_plan(markup: str) -> bytes:
    return build_docx(plan_blocks(markup))


def to_pdf(docx: bytes, workdir: Path, name: str = "plan", target: str = "pdf") -> bytes:
    """The .docx printed to PDF by LibreOffice (own profile under `workdir`), or saved as another
    `target` format ("doc")."""
    source = workdir / f"{name}.docx"
    source.write_bytes(docx)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{workdir / 'profile'}",
                    "--convert-to", target, "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, timeout=120)
    return (workdir / f"{name}.{target}").read_bytes()
