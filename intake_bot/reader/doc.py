"""Word 97-2003 (.doc) -> Content, by converting to .docx with LibreOffice headless.

Each conversion runs in its own temporary directory with its own LibreOffice profile: two
soffice processes sharing a profile collide, and the second one then exits without converting
and without an error. The input filter is forced to Word 97, so that bytes that are not a Word
document fail instead of being imported as plain text. On time-out the whole process group is
killed (soffice starts soffice.bin as a child).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .docx import read_docx
from .model import Content, UnreadableFile

REASON_VI_NO_CONVERTER = ("Hệ thống chưa đọc được tệp Word 97-2003 (.doc); đề nghị quý cơ quan gửi lại "
                          "báo cáo dưới dạng tệp .docx.")
REASON_VI_NOT_CONVERTED = ("Tệp Word 97-2003 (.doc) bị lỗi hoặc không mở được; đề nghị quý cơ quan gửi "
                           "lại báo cáo dưới dạng tệp .docx.")


def find_soffice() -> str | None:
    """The LibreOffice command on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(data: bytes, timeout: float = 60) -> Content:
    """The .doc's content (format "doc"); `UnreadableFile` when LibreOffice is missing, fails,
    or takes longer than `timeout` seconds."""
    soffice = find_soffice()
    if soffice is None:
        raise UnreadableFile("cannot read a .doc file: LibreOffice (soffice) is not installed",
                             REASON_VI_NO_CONVERTER)
    with tempfile.TemporaryDirectory(prefix="intake-doc-") as tmp:
        work = Path(tmp)
        source = work / "report.doc"
        source.write_bytes(data)
        _convert(soffice, source, work / "out", work / "profile", timeout)
        converted = work / "out" / "report.docx"
        if not converted.is_file():
            raise UnreadableFile("LibreOffice could not convert the .doc file (damaged, encrypted "
                                 "or not a Word document)", REASON_VI_NOT_CONVERTED)
        content = read_docx(converted.read_bytes())
    content.format = "doc"
    return content


def _convert(soffice: str, source: Path, outdir: Path, profile: Path, timeout: float) -> None:
    command = [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--nolockcheck", "--nodefault", "--nologo", '--infilter=MS Word 97',
        "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(source),
    ]
    # HOME too points into the temporary directory: nothing of the conversion outlives it.
    env = {**os.environ, "HOME": str(profile.parent)}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise UnreadableFile(f"LibreOffice did not convert the .doc file within {timeout:g} s",
                             REASON_VI_NOT_CONVERTED) from None
    _kill_group(process.pid)  # a helper left behind by soffice, if any


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
