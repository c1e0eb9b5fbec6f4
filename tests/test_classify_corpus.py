"""classify() on the sample corpus, against its truth files, with the real reader and the
corpus's own units file (as the acceptance scorer runs it); and on real-world messy mail.

Where the truth counts a document that the reader cannot read yet (PDF and XLSX readers are
other work in progress), the case is a strict xfail naming the file: it starts to pass, and
must then lose its mark, as soon as the reader reads the file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from intake_bot.classify import classify
from intake_bot.config import UNITS_ENV, load_campaign
from intake_bot.message import parse_message
from intake_bot.reader.extract import extract_bytes
from tests.conftest import SHARED

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "corpus"
EXTERNAL_MAIL = SHARED / "external" / "mail-parser"
UNIT_SCORED = ("report", "unmatched", "no_attachment", "link_only", "unsupported")
CATEGORIES = ("report", "unmatched", "no_attachment", "link_only", "unsupported", "auto_reply", "bounce", "other")


def corpus_campaign():
    """The campaign file with the corpus's units, handed over as the scorer does."""
    saved = os.environ.get(UNITS_ENV)
    os.environ[UNITS_ENV] = str(CORPUS / "units.json")
    try:
        return load_campaign(REPO / "config" / "hung-yen-2024.toml")
    finally:
        if saved is None:
            del os.environ[UNITS_ENV]
        else:
            os.environ[UNITS_ENV] = saved


CAMPAIGN = corpus_campaign()
TRUTHS = {path.name.removesuffix(".truth.json"): json.loads(path.read_text(encoding="utf-8"))
          for path in sorted((CORPUS / "emails").glob("*.truth.json"))}


def reader_gaps(truth: dict) -> list[str]:
    """The truth's documents that the reader, as it is today, cannot read."""
    gaps = []
    for name in truth["documents"]:
        document = json.loads((CORPUS / "documents" / name).read_text(encoding="utf-8"))
        path = CORPUS / "documents" / document["file"]
        result = extract_bytes(path.read_bytes(), path.name, CAMPAIGN)
        if result.error:
            gaps.append(f"{path.name} ({result.error})")
    return gaps


def cases():
    for name, truth in TRUTHS.items():
        gaps = reader_gaps(truth)
        marks = [pytest.mark.xfail(strict=True, reason="the reader cannot read yet: " + "; ".join(gaps))] if gaps else []
        yield pytest.param(name, marks=marks, id=name)


def decide(name: str):
    message = parse_message((CORPUS / "emails" / f"{name}.eml").read_bytes(), CAMPAIGN.limits)
    return message, classify(message, CAMPAIGN)


@pytest.mark.parametrize("name", list(cases()))
def test_category_documents_and_action(name):
    truth = TRUTHS[name]
    message, decision = decide(name)
    assert decision.category == truth["category"], decision.reasons
    assert len(decision.to_json(message)["documents"]) == len(truth["documents"]), decision.reasons
    if "expected_action_hint" in truth:
        assert decision.action == truth["expected_action_hint"], decision.reasons


@pytest.mark.parametrize("name", [n for n, t in TRUTHS.items() if t["category"] in UNIT_SCORED])
def test_unit(name):
    """The unit comes from the address, the subject or a file name in every message of this
    corpus, so it does not wait for the reader."""
    assert decide(name)[1].unit == TRUTHS[name]["unit"]


def test_e14_bounce_names_the_failed_address():
    decision = decide("e14")[1]
    assert decision.bounced_addresses == ["ubnd.anthii@hungyen.gov.vn"] and decision.action == "ignore"


def test_e09_link_and_e10_rar_reasons():
    assert any("drive.google.com/file/d/" in r for r in decide("e09")[1].reasons)
    assert "'Bao cao giam sat.rar': RAR archive is not supported" in decide("e10")[1].reasons


# ------------------------------------------------------------------ real-world mail


EXTERNAL = sorted(EXTERNAL_MAIL.glob("*.eml")) if EXTERNAL_MAIL.is_dir() else []
needs_external = pytest.mark.skipif(not EXTERNAL, reason=f"{EXTERNAL_MAIL} is absent (shared inputs not mounted)")


@needs_external
@pytest.mark.parametrize("path", EXTERNAL, ids=[p.name for p in EXTERNAL])
def test_external_mail_gets_a_category(path):
    message = parse_message(path.read_bytes(), CAMPAIGN.limits)
    decision = classify(message, CAMPAIGN)
    assert decision.category in CATEGORIES and decision.reasons
    json.dumps(decision.to_json(message))


@needs_external
@pytest.mark.parametrize("name,category,reason", [
    ("mail_malformed_2.eml", "bounce", "delivery to abh@netpar.com.br failed"),
    ("mail_test_13.eml", "other", "mailing list or newsletter (List-ID, List-Unsubscribe, List-Unsubscribe-Post)"),
    ("mail_test_16.eml", "other", "Precedence: junk"),
    ("mail_test_15.eml", "other", "'REQUEST FOR QUOTE.exe' (in REQUEST FOR QUOTE.zip): an executable program, not a report"),
    ("mail_malformed_1.eml", "other",
     "'20160523_211439.jpg_.jpg.exe' (in 20160523_916527.jpg_.zip): an executable program, not a report"),
])
def test_external_mail_known_answers(name, category, reason):
    message = parse_message((EXTERNAL_MAIL / name).read_bytes(), CAMPAIGN.limits)
    decision = classify(message, CAMPAIGN)
    assert decision.category == category and reason in decision.reasons, decision.reasons
