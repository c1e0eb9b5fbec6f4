"""Every document of the sample corpus against its truth file, compared the way the acceptance
scorer compares them; and the library test files of /work/shared/external never crash extract."""
from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import pytest

from intake_bot.config import load_campaign
from intake_bot.reader.extract import extract_bytes, extract_path, infer_unit
from intake_bot.reader.model import Content, Paragraph, Table

from .conftest import CORPUS, REPO, SHARED
from .scoring import norm_text, row_key

DOCUMENTS = CORPUS / "documents"
TRUTHS = sorted(DOCUMENTS.glob("*.truth.json"))
READER_MODULES = {"docx": "docx", "pdf": "pdf", "xlsx": "xlsx", "doc": "doc"}


@pytest.fixture(scope="module")
def corpus_campaign():
    """The campaign with the corpus's units, as the scorer hands them over (INTAKE_BOT_UNITS)."""
    before = os.environ.get("INTAKE_BOT_UNITS")
    os.environ["INTAKE_BOT_UNITS"] = str(CORPUS / "units.json")
    try:
        return load_campaign(REPO / "config" / "hung-yen-2024.toml")
    finally:
        if before is None:
            del os.environ["INTAKE_BOT_UNITS"]
        else:
            os.environ["INTAKE_BOT_UNITS"] = before


def needs_reader(truth: dict):
    """xfail while the format's reader has not landed in this checkout."""
    module = READER_MODULES[truth["format"]]
    try:
        importlib.import_module(f"intake_bot.reader.{module}")
    except ImportError as exc:
        pytest.xfail(f"the {truth['format']} reader (intake_bot/reader/{module}.py) is not there yet: {exc}")


def load_truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_document_matches_truth(truth_path, corpus_campaign):
    truth = load_truth(truth_path)
    needs_reader(truth)
    got = extract_path(DOCUMENTS / truth["file"], corpus_campaign, truth["unit"]).to_json()
    assert got["error"] is None
    assert got["format"] == truth["format"]
    assert got["scanned"] == truth["scanned"]
    if truth["scanned"]:
        return
    if truth["outline"]:
        assert got["outline"]["id"] == truth["outline"]["id"]
        assert got["outline"]["present"] == truth["outline"]["present"]
        assert got["outline"]["missing"] == truth["outline"]["missing"]
    else:
        assert got["outline"] is None
    expected = {row_key(r): r for r in truth["tables"]}
    answered = {row_key(r): r for r in got["tables"]}
    assert sorted(answered) == sorted(expected)
    assert len(got["tables"]) == len(truth["tables"])
    for key, want in expected.items():
        have = answered[key]
        assert norm_text(have["investor"]) == norm_text(want["investor"]), key
        for field in ("area_ha", "leasable_ha", "occupancy_pct"):
            if want[field] is None:
                assert have[field] is None, (key, field)
            else:
                assert have[field] == pytest.approx(want[field], abs=0.01), (key, field)
    if truth["metadata"]:
        for field, want in truth["metadata"].items():
            assert norm_text(got["metadata"][field]) == norm_text(want), field
    else:
        assert set(got["metadata"].values()) == {None}


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_unit_is_told_from_the_document(truth_path, corpus_campaign):
    truth = load_truth(truth_path)
    needs_reader(truth)
    got = extract_path(DOCUMENTS / truth["file"], corpus_campaign)
    assert got.error is None
    if not truth["scanned"]:
        assert got.unit == truth["unit"]


def test_unit_from_the_issuer_only_when_there_is_one(campaign):
    body = Content(format="docx", blocks=[Paragraph("Kính gửi Ban Quản lý các KCN tỉnh và UBND huyện Văn Lâm")])
    assert infer_unit(body, {"issuer": "UBND HUYỆN YÊN MỸ"}, campaign) == "ubnd-yen-my"
    assert infer_unit(body, {"issuer": "CÔNG TY CỔ PHẦN PHƯƠNG BẮC"}, campaign) is None
    assert infer_unit(body, {"issuer": "CÔNG TY CP ĐẦU TƯ PHÁT TRIỂN KCN YÊN MỸ"}, campaign) is None
    assert infer_unit(body, {"issuer": "CÔNG TY TNHH ĐẦU TƯ VĂN LÂM"}, campaign) is None
    assert infer_unit(body, {"issuer": None, "title": None}, campaign) == "bql-kcn"


def test_unit_from_a_workbook_title_not_from_zone_names(campaign):
    sheet = Table(rows=[["KẾT QUẢ ĐẦU TƯ CÁC KHU, CỤM CÔNG NGHIỆP", "", ""],
                        ["(Kèm theo Báo cáo số 142/BC-UBND của UBND huyện Văn Lâm)", "", ""],
                        ["STT", "Tên KCN/CCN", "Diện tích (ha)"], ["1", "CCN Yên Mỹ", "47,12"]])
    assert infer_unit(Content(format="xlsx", blocks=[sheet]), {}, campaign) == "ubnd-van-lam"
    text = Content(format="docx", blocks=[Paragraph("Tình hình đầu tư KCN Yên Mỹ trên địa bàn huyện Văn Lâm")])
    assert infer_unit(text, {}, campaign) == "ubnd-van-lam"
    assert infer_unit(Content(format="docx", blocks=[Paragraph("Cụm công nghiệp Kim Động")]), {}, campaign) is None


def test_an_analyser_failure_is_a_warning_and_the_rest_is_kept(corpus_campaign, monkeypatch):
    def broken(*args):
        raise RuntimeError("table from another planet")

    monkeypatch.setattr("intake_bot.reader.extract.read_appendix", broken)
    result = extract_path(DOCUMENTS / "d01.docx", corpus_campaign)
    assert result.error is None and result.tables == []
    assert result.metadata["number"] == "125/BC-SCT" and result.unit == "so-cong-thuong"
    assert result.outline["missing"] == ["PL"]
    assert any("table from another planet" in w for w in result.warnings)
    assert result.warnings_vi == ["Không đọc được bảng phụ lục của văn bản do lỗi khi đọc."]


def test_unreadable_files_give_a_reason_not_a_crash(campaign):
    for data, name in ((b"", "empty.docx"), (b"PK\x03\x04broken", "broken.docx"), (b"Rar!\x1a\x07\x00x", "a.rar"),
                       (b"%PDF-1.4\nnot really", "bad.pdf"), (b"hello", "notes.txt")):
        result = extract_bytes(data, name, campaign)
        assert result.error and result.error_vi, name
        assert result.to_json()["tables"] == []


EXTERNAL = [p for folder in ("python-docx", "pdfplumber") for p in sorted((SHARED / "external" / folder).glob("*"))
            if p.suffix in (".docx", ".pdf")] if (SHARED / "external").is_dir() else []


@pytest.mark.skipif(not EXTERNAL, reason=f"{SHARED / 'external'} is not here (shared test files)")
def test_library_test_files_never_crash_extract(campaign):
    for path in EXTERNAL:
        started = time.monotonic()
        result = extract_path(path, campaign)
        assert time.monotonic() - started < 30, path.name
        data = result.to_json()
        assert data["error"] is not None or isinstance(data["tables"], list), path.name
        json.dumps(data, ensure_ascii=False)
