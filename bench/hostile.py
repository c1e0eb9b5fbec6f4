"""Hostile and broken input, the long forms: every family of tests/hostile.py at a larger scale
and with bench-only giants (a 1 GB zip bomb, a 300-page dense PDF at the real time limit), many
more random MIME trees and file names than the tests draw, and every file of ../shared/external.

    python bench/hostile.py [--scale 4] [--random 2000] [--seconds 120] [--json FILE]

Each input runs in a bounded child (reader/isolated.run_isolated, or read_isolated for files),
so that an exception, a dead child or a hang is counted, not suffered. One line per family:

    tried     inputs run
    crashes   an exception escaped, or the child died (the worker would have lost the message)
    hangs     no answer within --seconds (mail) - files are always answered by their own limit
    limited   files answered "took longer than N s" / "needed more than N MB": the bound working
    wrong     answers that break a guarantee: no category, action or reason; a file name shown
              with controls or bidi overrides, over 255 characters or with a path; a file error
              that is not one line with a Vietnamese sentence
    worst     time (s) and memory (MB the child's resident set grew by while it worked; a
              reading that reuses free heap it shared with this process is not counted), each
              with the input that cost it

then the cost of isolation itself: the fork per file, and per sample report read in a child
rather than in this process.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.hostile, when run as a script

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from intake_bot.classify import classify  # noqa: E402
from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.message import parse_message  # noqa: E402
from intake_bot.reader.extract import extract_bytes  # noqa: E402
from intake_bot.reader.isolated import read_isolated, run_isolated  # noqa: E402
from intake_bot.text import MAX_NAME_CHARS  # noqa: E402
from tests import hostile  # noqa: E402
from tests.mime_builder import attachment, simple  # noqa: E402

EXTERNAL = REPO.parent / "shared" / "external"
CATEGORIES = {"report", "unmatched", "no_attachment", "link_only", "unsupported", "auto_reply", "bounce", "other"}
ACTIONS = {"acknowledge", "ask_for_missing", "ask_for_docx", "ask_for_resend", "ask_for_file", "acknowledge_note",
           "review", "ignore", "notify_secretary", "execute_commands"}
NOT_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


@dataclass
class Family:
    name: str
    tried: int = 0
    crashes: int = 0
    hangs: int = 0
    limited: int = 0
    wrong: int = 0
    worst_seconds: float = 0.0
    worst_seconds_input: str = ""
    worst_mb: float = 0.0
    worst_mb_input: str = ""
    problems: list[str] = field(default_factory=list)

    def count(self, label: str, usage, wrong: str | None = None, bounded: bool = False) -> None:
        """One input's outcome. `bounded`: a timeout or a memory blow-up is the file's own limit
        answering (a file), not a hang (a whole message)."""
        self.tried += 1
        if usage.outcome == "crashed":
            self.crashes += 1
            self.problems.append(f"crash: {label} ({usage.detail})")
        elif usage.outcome in ("timeout", "memory") and bounded:
            self.limited += 1
        elif usage.outcome == "timeout":
            self.hangs += 1
            self.problems.append(f"hang: {label}")
        if wrong:
            self.wrong += 1
            self.problems.append(f"wrong: {label}: {wrong}")
        if usage.seconds > self.worst_seconds:
            self.worst_seconds, self.worst_seconds_input = usage.seconds, label
        if usage.memory_mb > self.worst_mb:
            self.worst_mb, self.worst_mb_input = usage.memory_mb, label

    def line(self) -> str:
        return (f"{self.name:<14} {self.tried:>6} {self.crashes:>7} {self.hangs:>5} {self.limited:>7} {self.wrong:>5}"
                f"  {self.worst_seconds:6.2f} s ({self.worst_seconds_input[:34]})"
                f"  {self.worst_mb:6.0f} MB ({self.worst_mb_input[:34]})")


# ------------------------------------------------------------------ what is checked


def mail_answer(raw: bytes, campaign):
    """The work run in a child for one message: parse, classify (documents read in their own
    bounded children), and the facts the guarantees are checked on."""
    def work() -> dict:
        message = parse_message(raw, campaign.limits)
        decision = classify(message, campaign)
        return {"category": decision.category, "action": decision.action, "reasons": decision.reasons,
                "names": [a.filename for a in message.attachments]}
    return work


def mail_wrong(answer: dict | None) -> str | None:
    if answer is None:
        return None
    if answer["category"] not in CATEGORIES or answer["action"] not in ACTIONS or not answer["reasons"]:
        return f"no full answer: {answer['category']}/{answer['action']}"
    for name in answer["names"]:
        if NOT_SHOWN.search(name) or len(name) > MAX_NAME_CHARS or "/" in name or "\\" in name:
            return f"name shown unsafely: {name[:60]!r}"
    return None


def file_wrong(result) -> str | None:
    if result.error is None:
        return None
    if "\n" in result.error or not result.error_vi:
        return f"error not one line with a Vietnamese sentence: {result.error[:80]!r}"
    return None


def run_mail(family: Family, label: str, raw: bytes, campaign, seconds: float) -> None:
    answer, usage = run_isolated(mail_answer(raw, campaign), seconds)
    family.count(label, usage, mail_wrong(answer))


def run_file(family: Family, label: str, data: bytes, filename: str, campaign) -> None:
    result, usage = read_isolated(data, filename, campaign)
    family.count(label, usage, file_wrong(result), bounded=True)


# ------------------------------------------------------------------ inputs


def drawn(strategy, count: int) -> list:
    """`count` examples of a hypothesis strategy (generation only: nothing is tested here)."""
    found = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example):
        found.append(example)

    collect()
    return found


def bench_only_files() -> list[hostile.Case]:
    return [
        hostile.Case("pdf", "300 pages of dense text (the real limit)", hostile.dense_pages_pdf(300, 60_000), "dense.pdf"),
        hostile.Case("office", "docx of 200000 paragraphs", hostile.docx_paragraph_flood(200_000), "flood.docx"),
        hostile.Case("office", "xlsx of 140000 rows (just under 20 MB)", hostile.xlsx_cell_flood(140_000), "flood.xlsx"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=4, help="size and depth multiplier of the families")
    parser.add_argument("--random", type=int, default=2000, help="random MIME trees (and as many file names)")
    parser.add_argument("--seconds", type=float, default=120, help="time allowed to one whole message")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    campaign = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    # First, while this process is as small as a worker: the fork's cost grows with the parent.
    overhead = isolation_overhead(campaign)
    print(f"limits: {campaign.limits.seconds_per_file:g} s and 1024 MB per file, "
          f"{campaign.limits.max_unpacked_mb:g} MB unpacked per message; scale {args.scale}", flush=True)
    print(f"{'family':<14} {'tried':>6} {'crashes':>7} {'hangs':>5} {'limited':>7} {'wrong':>5}  worst time, worst memory",
          flush=True)
    families: list[Family] = []

    def report(family: Family) -> None:
        families.append(family)
        print(family.line(), flush=True)

    mime = Family("mime")
    for case in hostile.mime_cases(args.scale):
        run_mail(mime, case.name, case.data, campaign, args.seconds)
    report(mime)

    trees = Family("mime random")
    for n, raw in enumerate(drawn(hostile.mime_messages(), args.random)):
        run_mail(trees, f"random tree #{n}", raw, campaign, args.seconds)
    report(trees)

    names = Family("file names")
    styles = ("rfc2231", "rfc2047", "plain")
    pool = hostile.HOSTILE_FILENAMES + drawn(hostile.ENCODABLE_NAMES, args.random)
    for n, name in enumerate(pool):
        clean = name.encode("utf-8", "replace").decode("utf-8")
        raw = simple(files=[attachment(b"%PDF-1.4\n%%EOF\n", clean, style=styles[n % 3])])
        run_mail(names, f"name #{n} {clean[:20]!r}", raw, campaign, args.seconds)
    report(names)

    archives = Family("archive")
    giants = [hostile.Case("archive", "ratio bomb 1 GB of zeros", hostile.zeros_zip("bc.docx", 2**30), "giant.zip")]
    for case in hostile.archive_cases(args.scale) + giants:
        raw = simple(files=[attachment(case.data, case.filename)])
        run_mail(archives, case.name, raw, campaign, args.seconds)
    report(archives)

    trap = "http://127.0.0.1:9"  # nothing listens: the tests prove nothing is fetched
    files = hostile.office_cases("/etc/hostname", trap, args.scale) + hostile.pdf_cases(trap, args.scale) \
        + bench_only_files()
    for kind in ("office", "pdf"):
        family = Family(kind)
        for case in (c for c in files if c.family == kind):
            run_file(family, case.name, case.data, case.filename, campaign)
        report(family)

    if EXTERNAL.is_dir():
        external = Family("external")
        for path in sorted(p for p in EXTERNAL.rglob("*") if p.is_file() and p.suffix.lower() != ".md"
                           and p.name != "LICENSE"):
            label = f"{path.parent.name}/{path.name}"
            if path.suffix.lower() in (".eml", ".msg"):
                run_mail(external, label, path.read_bytes(), campaign, args.seconds)
            else:
                run_file(external, label, path.read_bytes(), path.name, campaign)
        report(external)
    else:
        print(f"external: {EXTERNAL} is absent, skipped")

    print(f"isolation: fork and answer of an empty file {overhead['empty_ms']:.1f} ms (median of 50); "
          f"a sample report read in a child {overhead['report_extra_ms']:.0f} ms more than in this process "
          f"(median over {overhead['reports']} reports, {overhead['report_ms']:.0f} ms each in process)")
    for family in families:
        for problem in family.problems[:10]:
            print(f"  {family.name}: {problem}")
    total = sum(f.tried for f in families)
    bad = sum(f.crashes + f.hangs + f.wrong for f in families)
    if args.json:
        args.json.write_text(json.dumps({"families": [dataclasses.asdict(f) for f in families],
                                         "isolation": overhead}, ensure_ascii=False, indent=1))
    print(f"hostile: inputs {total} · crashes {sum(f.crashes for f in families)} · hangs "
          f"{sum(f.hangs for f in families)} · wrong {sum(f.wrong for f in families)}")
    return 1 if bad else 0


def isolation_overhead(campaign) -> dict:
    """The fork per file (an empty file, answered at once), and the extra time of reading each
    sample report in a child instead of in this process (median of 5 runs each)."""
    empty = []
    for _ in range(50):
        started = time.perf_counter()
        read_isolated(b"", "x.docx", campaign)
        empty.append(time.perf_counter() - started)
    extra, inline = [], []
    documents = sorted(p for p in (REPO / "tests/fixtures/corpus/documents").iterdir() if p.suffix != ".json")
    for path in documents:
        data = path.read_bytes()
        in_process, in_child = [], []
        for _ in range(5):
            started = time.perf_counter()
            extract_bytes(data, path.name, campaign)
            in_process.append(time.perf_counter() - started)
            started = time.perf_counter()
            read_isolated(data, path.name, campaign)
            in_child.append(time.perf_counter() - started)
        inline.append(statistics.median(in_process))
        extra.append(statistics.median(in_child) - statistics.median(in_process))
    return {"empty_ms": statistics.median(empty) * 1000, "report_extra_ms": statistics.median(extra) * 1000,
            "report_ms": statistics.median(inline) * 1000, "reports": len(documents)}


if __name__ == "__main__":
    sys.exit(main())
