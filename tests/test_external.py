"""Every file in ../shared/external (the test suites of mail-parser, pdfplumber and python-docx:
real spam, phishing, malformed mail, password-protected and broken PDFs, Word-made documents)
gets an answer: a message a category, an action and reasons; a document what it holds or a
one-line reason. No exception, and within the campaign's time per file."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from intake_bot.classify import classify
from intake_bot.message import parse_message
from intake_bot.reader.isolated import read_isolated
from tests.conftest import SHARED
from tests.test_hostile_mime import _answered

EXTERNAL = SHARED / "external"
pytestmark = pytest.mark.skipif(not EXTERNAL.is_dir(), reason=f"{EXTERNAL} is absent (the shared data of the project)")


def _files(*suffixes: str) -> list[Path]:
    if not EXTERNAL.is_dir():
        return []
    return sorted(p for p in EXTERNAL.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


@pytest.mark.parametrize("path", _files(".eml", ".msg"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_external_message_gets_an_answer(campaign, path):
    started = time.monotonic()
    message = parse_message(path.read_bytes(), campaign.limits)
    decision = classify(message, campaign)
    _answered(decision, message, path.name)
    # Each document of the message is read within the time per file.
    assert time.monotonic() - started < campaign.limits.seconds_per_file * (1 + len(decision.documents))


@pytest.mark.parametrize("path", _files(".pdf", ".docx", ".xlsx", ".doc"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_external_document_gets_an_answer(campaign, path):
    result, usage = read_isolated(path.read_bytes(), path.name, campaign)
    assert usage.outcome == "answered", usage
    assert usage.seconds < campaign.limits.seconds_per_file
    assert result.file == path.name and result.format
    if result.error:
        assert "\n" not in result.error and result.error_vi
