"""Tables drawn without lines in PDFs: our gutter clustering (intake_bot/reader/lineless.py)
against pdfplumber's text strategy, on the same generated documents.

    python bench/lineless.py [--reports 24] [--workbooks 8] [--prose 8] [--seed 3]

Generates reports with the report factory (tests/report_factory.py): Word reports whose appendix
table has its borders removed (random variations otherwise), appendix workbooks printed without
grid lines, and reports without any table (prose only); LibreOffice converts them to PDF. Each
PDF is read twice by the whole reader (`extract_bytes`, the unit told), once with our finder of
tables without lines and once with pdfplumber's `find_tables(vertical_strategy="text",
horizontal_strategy="text")` in its place (same page, same words removed from the paragraphs).
Prints, for each: appendix rows read right (kind, group, name and every cell as the truth), the
documents read wholly right, tables of three columns or more found in the prose-only reports
(prose taken for a table), and the reading time per document.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import random
import sys
import tempfile
import time
from pathlib import Path

import pdfplumber

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.reader import pdf as pdf_reader  # noqa: E402
from intake_bot.reader.extract import extract_bytes  # noqa: E402
from intake_bot.reader.model import Table  # noqa: E402
from tests.report_factory import (REPO, UNITS, Variant, build_appendix_xlsx, build_report, differences,  # noqa: E402
                                  printable_workbook, random_variant, to_pdf)
from tests.scoring import row_key  # noqa: E402


# A report without any table: headings, paragraphs, the header and signature blocks.
PROSE = Variant(appendix="none")


class PlumberTextStrategy:
    """pdfplumber's text strategy in place of `_lineless_tables`, on the document being read."""

    settings = {"vertical_strategy": "text", "horizontal_strategy": "text"}

    def __init__(self) -> None:
        self.document = None

    def __call__(self, page, carried):
        plumber_page = self.document.pages[page.number - 1]
        for table in plumber_page.find_tables(self.settings):
            x0, top, x1, bottom = table.bbox
            rows = [[" ".join((cell or "").split()) for cell in row] for row in table.extract()]
            if not rows or len(rows[0]) < 3:
                continue
            page.tables.append(pdf_reader._TablePart(rows=rows, page=page.number, top=top,
                                                     column_edges=[x0, x1], lineless=True))
            page.lines = [line for line in page.lines
                          if not (x0 <= line.center <= x1 and top <= (line.top + line.bottom) / 2 <= bottom)]
        return None


def score(reports, campaign, finder=None) -> dict:
    """Rows right, documents right, prose tables and seconds per document with one finder."""
    original = pdf_reader._lineless_tables
    rows_right = rows_total = docs_right = docs = prose_tables = 0
    seconds = 0.0
    try:
        for report in reports:
            if finder is not None:
                finder.document = pdfplumber.open(io.BytesIO(report.data))
                pdf_reader._lineless_tables = finder
            started = time.perf_counter()
            result = extract_bytes(report.data, report.name, campaign, report.truth["unit"]).to_json()
            blocks = pdf_reader.read_pdf(report.data).blocks
            seconds += time.perf_counter() - started
            if finder is not None:
                finder.document.close()
            if report.variant == PROSE:
                prose_tables += sum(isinstance(b, Table) and len(b.rows[0]) > 2 for b in blocks)
                continue
            if not report.truth["tables"]:
                continue        # a random variation without an appendix
            docs += 1
            problems = differences(result, report.truth, unit_told=True)
            docs_right += not [p for p in problems if not p.startswith(("outline", "metadata"))]
            answered = {row_key(row): row for row in result["tables"]}
            for row in report.truth["tables"]:
                rows_total += 1
                have = answered.get(row_key(row))
                rows_right += have is not None and not differences(
                    {**result, "tables": [have]}, {**report.truth, "tables": [row], "outline": None,
                                                   "metadata": None}, unit_told=True)
    finally:
        pdf_reader._lineless_tables = original
    return {"rows": f"{rows_right}/{rows_total} ({rows_right / max(rows_total, 1):.2f})",
            "documents": f"{docs_right}/{docs}", "prose tables": prose_tables,
            "seconds/doc": round(seconds / max(len(reports), 1), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=24)
    parser.add_argument("--workbooks", type=int, default=8)
    parser.add_argument("--prose", type=int, default=8)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    campaign = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    rng = random.Random(args.seed)
    sources = [build_report(rng.choice(UNITS), dataclasses.replace(random_variant(rng, 0.25), borderless=True), n)
               for n in range(args.reports)]
    sources += [dataclasses.replace(book, name=book.name.replace(".xlsx", "-printed.xlsx"))
                for book in (printable_workbook(build_appendix_xlsx(rng.choice(UNITS), random_variant(rng, 0.25), n))
                             for n in range(args.workbooks))]
    sources += [build_report(rng.choice(UNITS), PROSE, 1000 + n) for n in range(args.prose)]
    with tempfile.TemporaryDirectory(prefix="bench-lineless-") as folder:
        reports = to_pdf(sources, Path(folder))
    print(f"documents: {len(reports)} PDFs ({args.reports} Word tables without borders, {args.workbooks} "
          f"workbooks printed without grid lines, {args.prose} of prose only)")
    for name, finder in (("ours (gutters)", None), ("pdfplumber text strategy", PlumberTextStrategy())):
        print(f"{name:26s}", score(reports, campaign, finder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
