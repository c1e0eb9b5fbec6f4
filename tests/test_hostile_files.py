"""Hostile files through the isolated reader (reader/isolated.py): every archive, Word, Excel and
PDF file of tests/hostile.py gets an answer - what it holds, or a one-line reason with a polite
Vietnamese sentence for the sender - within the campaign's time per file; nothing in a file is
resolved, fetched or run; a reading that runs too long, takes too much memory or crashes costs
that file only."""
from __future__ import annotations

import dataclasses
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from intake_bot.message import parse_message
from intake_bot.reader import isolated
from intake_bot.reader.doc import find_soffice
from intake_bot.reader.isolated import extract_isolated, read_isolated
from intake_bot.reader.pdf import read_pdf
from intake_bot.text import nfc
from tests import hostile
from tests.conftest import REPO
from tests.mime_builder import attachment, simple

# A tight limit keeps the slowest cases quick; what is tested is that the limit holds.
SECONDS = 3.0
MARGIN = 1.5


@pytest.fixture(scope="module")
def tight(campaign):
    return dataclasses.replace(campaign, limits=dataclasses.replace(campaign.limits, seconds_per_file=SECONDS))


class Recorder(http.server.BaseHTTPRequestHandler):
    """An HTTP server on loopback that records every request: a file that makes the reader
    fetch anything is caught here."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<!ENTITY leaked 'FETCHED'>")

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_trap():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Recorder.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xxe") / "secret.txt"
    path.write_text("TOP-SECRET-MARKER-7f3a", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cases(secret_file, http_trap):
    return hostile.file_cases(str(secret_file), http_trap)


def _assert_answer(case, result, seconds):
    where = f"{case.family} / {case.name}"
    assert seconds < SECONDS + MARGIN, f"{where}: {seconds:.1f} s"
    assert result.file == case.filename and result.format, where
    if result.error is not None:
        assert result.error.strip() and "\n" not in result.error, f"{where}: {result.error!r}"
        assert result.error_vi and result.error_vi == nfc(result.error_vi), where
        assert "đề nghị quý cơ quan" in result.error_vi.lower(), f"{where}: {result.error_vi}"


def test_a_reading_that_needs_too_much_memory_is_stopped(campaign):
    # First in the module: the budget counts from the heap the child inherits, free space
    # included, and the later tests leave the heap large (the reading then fails later).
    result, usage = read_isolated(hostile.docx_paragraph_flood(200_000), "flood.docx", campaign, memory_mb=40)
    assert usage.outcome == "memory", usage
    assert result.error == "reading needed more than 40 MB" and "bộ nhớ" in result.error_vi


@pytest.mark.parametrize("family", ["archive", "office", "pdf"])
def test_every_hostile_file_gets_an_answer_in_time(cases, tight, family):
    for case in (c for c in cases if c.family == family):
        result, usage = read_isolated(case.data, case.filename, tight)
        _assert_answer(case, result, usage.seconds)
        assert usage.outcome in ("answered", "timeout"), f"{case.name}: {usage}"


def test_external_entities_are_never_read_nor_fetched(cases, tight, secret_file, http_trap):
    Recorder.requests.clear()
    for case in (c for c in cases if "external entities" in c.name):
        result = extract_isolated(case.data, case.filename, tight)
        shown = str(result.to_json())
        assert "TOP-SECRET-MARKER" not in shown and "FETCHED" not in shown, case.name
    assert Recorder.requests == []


def test_pdf_javascript_and_actions_are_ignored(http_trap):
    Recorder.requests.clear()
    content = read_pdf(hostile.javascript_pdf(http_trap))
    assert [block.text for block in content.blocks] == ["BAO CAO GIAM SAT"]
    assert Recorder.requests == []


def test_billion_laughs_are_not_expanded(tight):
    for data, name in ((hostile.docx_billion_laughs(), "laughs.docx"), (hostile.xlsx_billion_laughs(), "laughs.xlsx")):
        result, usage = read_isolated(data, name, tight)
        assert usage.seconds < 2 and usage.memory_mb < 100, usage
        assert "lollol" not in str(result.to_json())


def test_macro_enabled_files_are_read_as_data(campaign):
    word = extract_isolated(hostile.docm("UBND HUYỆN VĂN LÂM", "I. KHÁI QUÁT CHUNG"), "bc.docm", campaign)
    assert word.error is None and word.unit == "ubnd-van-lam"
    assert any("macros" in warning and "never run" in warning for warning in word.warnings)
    workbook = extract_isolated(hostile.xlsm(), "pl.xlsm", campaign)
    assert workbook.error is None and workbook.format == "xlsx"


@pytest.mark.parametrize("make, name, reason", [
    (lambda: hostile.encrypted_pdf("secret"), "locked.pdf", "password"),
    (lambda: b"<!DOCTYPE html><html><body>404</body></html>", "bc.pdf", "web page"),
    (lambda: hostile.docx_compression_bomb(120 * 2**20), "bomb.docx", "more than the limit"),
    (lambda: hostile.xlsx_compression_bomb(30 * 2**20), "bomb.xlsx", "more than 20 MB"),
    (lambda: b"MZ\x90\x00" + bytes(100), "bc.docx", "not a report document (exe)"),
    (lambda: b"{\\rtf1\\ansi B\\'e1o c\\'e1o}", "bc.doc", "Rich Text Format (RTF)"),
])
def test_refusals_say_why(campaign, make, name, reason):
    result = extract_isolated(make(), name, campaign)
    assert reason in result.error


def test_pdf_without_a_user_password_is_read():
    content = read_pdf(hostile.encrypted_pdf(""))
    assert [block.text for block in content.blocks] == ["BAO CAO GIAM SAT"]


def test_thousands_of_pages_are_read_up_to_the_limit(campaign):
    result, usage = read_isolated(hostile.many_pages_pdf(5000), "long.pdf", campaign)
    assert f"read only the first {campaign.limits.max_pdf_pages} of 5000 pages" in result.warnings
    assert usage.seconds < 5


def test_html_named_pdf_in_a_message_is_answered_not_passed_over(campaign):
    from intake_bot.classify import classify

    raw = simple(files=[attachment(b"<!DOCTYPE html><html><body>Phi\xc3\xaan h\xe1\xba\xa1n</body></html>",
                                   "Bao cao.pdf", "application/pdf")])
    decision = classify(parse_message(raw, campaign.limits), campaign)
    assert decision.category == "unsupported" and decision.action == "ask_for_resend"
    (_, refused), = decision.unreadable
    assert "web page" in refused.error and "trang web" in refused.error_vi


# ------------------------------------------------------------------ the isolation itself


def _children() -> set[int]:
    """Live processes whose parent is this one."""
    return {pid for pid in _pids() if _parent(pid) == os.getpid() and _alive(pid)}


def test_a_reading_that_runs_too_long_is_stopped(campaign):
    quick = dataclasses.replace(campaign, limits=dataclasses.replace(campaign.limits, seconds_per_file=0.5))
    before = _children()
    result, usage = read_isolated(hostile.dense_pages_pdf(300, 60_000), "dense.pdf", quick)
    assert usage.outcome == "timeout" and 0.5 <= usage.seconds < 1.5
    assert result.error == "reading took longer than 0.5 s" and result.format == "pdf"
    assert "thời gian" in result.error_vi
    assert _children() <= before


def test_a_reader_that_crashes_costs_one_file(campaign, monkeypatch):
    # No real file reliably crashes a C library here: the reader is replaced by one that does.
    monkeypatch.setattr(isolated, "extract_bytes", lambda *args: os.kill(os.getpid(), signal.SIGSEGV))
    result, usage = read_isolated(b"%PDF-1.4", "x.pdf", campaign)
    assert usage.outcome == "crashed" and result.error == "the reader stopped on this file (signal 11)"
    assert result.error_vi


def test_the_answer_is_the_same_as_reading_in_process(campaign):
    from intake_bot.reader.extract import extract_bytes

    for path in sorted((REPO / "tests" / "fixtures" / "corpus" / "documents").glob("d0[1-6].*")):
        if path.suffix != ".json":
            data = path.read_bytes()
            assert extract_isolated(data, path.name, campaign).to_json() == \
                extract_bytes(data, path.name, campaign).to_json()


def test_the_reader_dies_with_the_worker(tmp_path):
    """A worker killed mid-read (SIGKILL, as the fault harness does) leaves no reader behind."""
    script = (
        "import dataclasses, sys\n"
        "from intake_bot.config import load_campaign\n"
        "from intake_bot.reader.isolated import read_isolated\n"
        "from tests import hostile\n"
        f"c = load_campaign({str(REPO / 'config' / 'hung-yen-2024.toml')!r})\n"
        "c = dataclasses.replace(c, limits=dataclasses.replace(c.limits, seconds_per_file=120))\n"
        "data = hostile.dense_pages_pdf(300, 60_000)\n"
        "print('reading', flush=True)\n"
        "read_isolated(data, 'dense.pdf', c)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert worker.stdout.readline() == b"reading\n"
        deadline = time.monotonic() + 10
        readers: set[int] = set()
        while not readers and time.monotonic() < deadline:
            readers = {pid for pid in _pids() if _parent(pid) == worker.pid}
            time.sleep(0.02)
        assert readers, "the reader child did not start"
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in readers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(_alive(pid) for pid in readers)
    finally:
        worker.kill()
        worker.wait()


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (new) parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.libreoffice
@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) not installed")
def test_a_slow_doc_conversion_is_stopped_by_the_doc_reader_first(campaign):
    """Within the child the .doc reader has less time than the parent gives the child, so that
    LibreOffice, which runs in its own session, is killed by the reader and never outlives it."""
    quick = dataclasses.replace(campaign, limits=dataclasses.replace(campaign.limits, seconds_per_file=0.6))
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    result, usage = read_isolated(data, "bc.doc", quick)
    assert usage.outcome == "answered", usage
    assert "LibreOffice did not convert the .doc file within" in result.error
    time.sleep(0.3)
    leftovers = [pid for pid in _pids() if b"intake-doc-" in _cmdline(pid)]
    assert leftovers == []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
