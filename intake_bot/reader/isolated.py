"""Read one file in a child process, bounded in time and memory.

A pathological file - a PDF whose page tree never ends, a compression bomb inside a DOCX, a .doc
that makes LibreOffice spin - must cost one file, never the worker. `extract_isolated` has the
contract of `extract.extract_bytes`, but the reading runs in a child made by fork(): the child
starts in a few milliseconds with every module already imported and the bytes already in its
memory, and sends its Extraction back through a pipe. The child is bounded by

* time: the parent waits at most `campaign.limits.seconds_per_file`, then kills it (SIGKILL).
  Inside the child a .doc conversion gets a little less time (DOC_MARGIN_SECONDS), so that the
  .doc reader stops LibreOffice (which runs in its own session, out of reach of our kill) before
  the child is killed;
* memory: RLIMIT_AS is set to the address space the child inherited plus [limits] max_reading_mb. The
  inherited part is counted because a worker's threads each reserve stack and malloc arenas
  (~70 MB of address space apiece, hardly any of it resident): an absolute limit would starve
  the reader in a busy worker and mean little in the command line. An allocation past the limit
  fails - a MemoryError, or a library's own error after the reading took most of its memory
  (OUT_OF_MEMORY_SHARE) - and the answer says so;
* the parent's life: PR_SET_PDEATHSIG kills the child when the worker dies, however it dies.

The child's answer is JSON, never pickle: a child subverted by a hostile file can at worst send
a wrong answer, not code. Anything the child cannot answer - a timeout, a memory blow-up, a
crash of a C library - becomes an Extraction with `error` (English) and `error_vi` (a polite
Vietnamese sentence for the sender), and the worker goes on with the next file.

`run_isolated` is the mechanism for any work that answers JSON; bench/hostile.py runs whole
messages through it to measure them.
"""
from __future__ import annotations

import ctypes
import dataclasses
import faulthandler
import gc
import json
import os
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..config import Campaign
from ..filetype import sniff
# Imported here, in the parent, so that a forked child never imports anything: an import in the
# child would cost time on every file and could wait on a lock another thread held at the fork.
from . import doc, docx, pdf, xlsx  # noqa: F401
from .extract import extract_bytes
from .model import Extraction

# What one file's reading may allocate beyond what the child inherited from the worker.
MEMORY_LIMIT_MB = 1024
# Time kept back from a .doc conversion (at most half the time per file): LibreOffice must be
# stopped by the .doc reader before the parent's deadline, or it would outlive the child.
DOC_MARGIN_SECONDS = 2.0
# Libraries report a failed allocation in their own words (lxml: "XMLSyntaxError: unknown
# error"): a reading that failed after taking more than this share of its memory is taken to
# have run out of it.
OUT_OF_MEMORY_SHARE = 0.5
# An answer larger than this is not an Extraction of a report: the child is stopped.
MAX_ANSWER_BYTES = 64 * 1024 * 1024

_EXIT_ANSWERED = 0
_EXIT_OUT_OF_MEMORY = 3
_EXIT_FAILED = 4
_PR_SET_PDEATHSIG = 1

_SLOW_VI = ("Tệp đính kèm cần quá nhiều thời gian để đọc nên hệ thống chưa đọc được; đề nghị quý cơ "
            "quan kiểm tra và gửi lại tệp báo cáo (bản Word .docx).")
_LARGE_VI = ("Tệp đính kèm cần quá nhiều bộ nhớ để đọc nên hệ thống chưa đọc được; đề nghị quý cơ "
             "quan kiểm tra và gửi lại tệp báo cáo (bản Word .docx).")
_FAILED_VI = ("Tệp đính kèm bị lỗi, không đọc được nội dung; đề nghị quý cơ quan gửi lại tệp báo "
              "cáo (bản Word .docx).")


@dataclass
class Usage:
    """What one isolated run cost: wall time (s); the memory it took (MB): the child's peak
    resident size (wait4) less its resident size when it started (which it sends first); how it
    ended ("answered", "timeout", "memory", "crashed" - with `detail`, the signal or exit
    status)."""

    seconds: float
    memory_mb: float
    outcome: str
    detail: str = ""


def extract_isolated(data: bytes, filename: str, campaign: Campaign,
                     unit_id: str | None = None) -> Extraction:
    """`extract_bytes` in a child process bounded in time and memory (see the module)."""
    return read_isolated(data, filename, campaign, unit_id)[0]


def read_isolated(data: bytes, filename: str, campaign: Campaign, unit_id: str | None = None,
                  memory_mb: int | None = None) -> tuple[Extraction, Usage]:
    """The Extraction and what it cost. The bench uses the cost; the worker only the answer.
    `memory_mb` defaults to the campaign file's [limits] max_reading_mb."""
    seconds = campaign.limits.seconds_per_file
    memory_mb = memory_mb or int(campaign.limits.max_reading_mb)

    def read() -> dict:
        result = extract_bytes(data, filename, _with_doc_time(campaign), unit_id)
        if result.error and _grown_bytes() > memory_mb * 2**20 * OUT_OF_MEMORY_SHARE:
            raise MemoryError(result.error)
        return result.to_json()

    answer, usage = run_isolated(read, seconds, memory_mb)
    if answer is not None:
        try:
            return Extraction(**answer), usage
        except TypeError:  # not the shape of an Extraction: a subverted child
            usage.outcome, usage.detail = "crashed", "an answer that is no Extraction"
    reason, reason_vi = {
        "timeout": (f"reading took longer than {seconds:g} s", _SLOW_VI),
        "memory": (f"reading needed more than {memory_mb} MB", _LARGE_VI),
    }.get(usage.outcome, (f"the reader stopped on this file ({usage.detail})", _FAILED_VI))
    return Extraction(file=filename, format=sniff(data, filename), unit=unit_id,
                      error=reason, error_vi=reason_vi), usage


def run_isolated(work: Callable[[], dict], seconds: float,
                 memory_mb: int = MEMORY_LIMIT_MB) -> tuple[dict | None, Usage]:
    """`work()` in a forked child bounded by `seconds` and `memory_mb`: its JSON answer (None
    when it gave none) and what it cost."""
    started = time.monotonic()
    read_end, write_end = os.pipe()
    # The child's garbage collector would otherwise touch every object it inherited and so copy
    # nearly every page of the parent: frozen objects are left alone (see gc.freeze).
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:  # no process to be had: the caller's guard answers for the file
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, work, memory_mb)
    gc.unfreeze()
    os.close(write_end)
    try:
        answer, timed_out, start_kb = _collect(read_end, pid, started + seconds)
    finally:
        os.close(read_end)
    _, status, rusage = os.wait4(pid, 0)
    usage = Usage(time.monotonic() - started, max(0, rusage.ru_maxrss - start_kb) / 1024, "answered")
    code = os.waitstatus_to_exitcode(status)
    if timed_out:
        usage.outcome = "timeout"
    elif code == _EXIT_OUT_OF_MEMORY:
        usage.outcome = "memory"
    elif code != _EXIT_ANSWERED or answer is None:
        usage.outcome = "crashed"
        usage.detail = f"signal {-code}" if code < 0 else f"exit status {code}"
    return (answer if usage.outcome == "answered" else None), usage


def _collect(fd: int, pid: int, deadline: float) -> tuple[dict | None, bool, int]:
    """Read what the child sends - its resident size (KB) when it started, a line, then its JSON
    answer - until it closes the pipe; kill it at the deadline or when the answer grows too
    large. Returns (answer or None, timed out, starting size)."""
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(pid)
            return None, True, _starting_kb(received)
        if not select.select([fd], [], [], remaining)[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        received += chunk
        if len(received) > MAX_ANSWER_BYTES:
            _kill(pid)
            return None, False, _starting_kb(received)
    body = bytes(received).partition(b"\n")[2]
    try:
        answer = json.loads(body) if body else None
    except ValueError:
        answer = None
    return (answer if isinstance(answer, dict) else None), False, _starting_kb(received)


def _starting_kb(received: bytearray) -> int:
    head, newline, _ = bytes(received[:32]).partition(b"\n")
    return int(head) if newline and head.isdigit() else 0


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# The child's address space when its limit was set (the child sets it; the parent never reads it).
_inherited_bytes = 0


def _child(fd: int, work: Callable[[], dict], memory_mb: int) -> None:
    """Work, answer, and leave with os._exit: no atexit handler, no flush of a buffer the parent
    still holds, nothing of the parent's state is touched on the way out."""
    code = _EXIT_FAILED
    try:
        _die_with_parent()
        # A crash or a failed allocation is answered by the parent, not dumped on its stderr.
        faulthandler.disable()
        sys.unraisablehook = _ignore
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _limit_memory(memory_mb)
        os.write(fd, b"%d\n" % (_statm_pages(1) * os.sysconf("SC_PAGE_SIZE") // 1024))
        answer = json.dumps(work(), ensure_ascii=False, default=str).encode("utf-8")
        view = memoryview(answer)
        while view:
            view = view[os.write(fd, view):]
        code = _EXIT_ANSWERED
    except MemoryError:
        code = _EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001 - whatever it was, the parent turns it into an answer
        code = _EXIT_FAILED
    finally:
        os._exit(code)


def _ignore(*_) -> None:
    """Nothing to report: the child's outcome is its exit status."""


def _die_with_parent() -> None:
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(_EXIT_FAILED)


def _limit_memory(memory_mb: int) -> None:
    """RLIMIT_AS = the address space inherited from the parent + memory_mb."""
    global _inherited_bytes
    _inherited_bytes = _statm_pages(0) * os.sysconf("SC_PAGE_SIZE")
    limit = _inherited_bytes + memory_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _grown_bytes() -> int:
    """How far the child's address space grew at its peak (VmPeak) past what it inherited."""
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmPeak:"):
                return int(line.split()[1]) * 1024 - _inherited_bytes
    return 0


def _statm_pages(field: int) -> int:
    """A field of /proc/self/statm, in pages: 0 the address space, 1 the resident set."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[field])


def _with_doc_time(campaign: Campaign) -> Campaign:
    limits = campaign.limits
    doc_seconds = limits.seconds_per_file - min(DOC_MARGIN_SECONDS, limits.seconds_per_file / 2)
    return dataclasses.replace(campaign, limits=dataclasses.replace(limits, seconds_per_file=doc_seconds))
