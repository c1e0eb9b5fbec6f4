"""`intake-bot init PLAN`: a campaign file from a supervision plan (DOCX, and the same printed to PDF
by LibreOffice). The seed plan gives the hand-written campaign's units, outlines, deadline, mailbox
and secretary; two other plans (schools under one outline; hospitals with letter- and
Roman-numbered outlines) are read right too."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from intake_bot.cli import main
from intake_bot.config import ConfigError, load_campaign
from intake_bot.text import fold

from .conftest import FIXTURES, HUNG_YEN, REPO
from .plan_builder import build_plan, to_pdf

PLANS = FIXTURES / "plans"
SEED = (PLANS / "ke-hoach-giam-sat-2024.md").read_text(encoding="utf-8")
# The plan as issued: the number and the day the seed leaves blank for the signature, as the
# hand-written campaign file has them.
ISSUED = SEED.replace("Số: /KH-ĐGS", "Số: 35/KH-ĐGS").replace("ngày tháng 4 năm 2024", "ngày 26 tháng 4 năm 2024")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


def init(tmp_path: Path, plan: bytes, suffix: str, capsys) -> tuple[Path, str]:
    source = tmp_path / f"plan{suffix}"
    source.write_bytes(plan)
    out = tmp_path / f"campaign-{suffix[1:]}.toml"
    code = main(["init", str(source), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    return out, printed


def filled(path: Path, hand: Path = HUNG_YEN) -> Path:
    """The generated file with the TODOs a person fills in: each unit's addresses, from the
    hand-written file."""
    addresses = {u.id: list(u.addresses) for u in load_campaign(hand).units.values()}
    lines, unit = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r'^id = "(.+)"$', line)
        unit = match.group(1) if match else unit
        if line.startswith("addresses = []  # TODO:"):
            line = f"addresses = {json.dumps(addresses.get(unit, []))}"
        lines.append(line)
    out = path.with_name(path.stem + "-filled.toml")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed")
    docx = build_plan(ISSUED)
    files = {".docx": docx}
    if shutil.which("soffice"):
        files[".pdf"] = to_pdf(docx, folder, "ke-hoach")
    return files


@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_soffice)])
def test_the_seed_plan_gives_the_hand_written_campaign(tmp_path, capsys, seed_files, suffix):
    out, printed = init(tmp_path, seed_files[suffix], suffix, capsys)
    with pytest.raises(ConfigError) as unfilled:
        load_campaign(out)
    # Only the units' addresses are missing: each as a TODO and as the problem it makes.
    assert unfilled.value.problems and all("addresses" in p for p in unfilled.value.problems), unfilled.value.problems
    assert len([p for p in unfilled.value.problems if "TODO" in p]) == 7
    made, hand = load_campaign(filled(out)), load_campaign(HUNG_YEN)

    assert list(made.units) == list(hand.units) or sorted(made.units) == sorted(hand.units)
    for uid, unit in hand.units.items():
        got = made.units[uid]
        assert (got.outline, got.issuer) == (unit.outline, unit.issuer), uid
        assert fold(got.name) == fold(unit.name), uid
        assert fold(got.short_name) in {fold(unit.short_name), *(fold(a) for a in unit.aliases)}, uid
    assert "Mỹ Hòa" in made.units["ubnd-my-hao"].aliases          # the plan's misspelling, kept
    assert "Mỹ Hòa" in out.read_text(encoding="utf-8").split("[[units]]", 3)[3]   # ... and flagged
    assert "«Mỹ Hòa»" in printed

    assert set(made.outlines) == set(hand.outlines)
    for oid, outline in hand.outlines.items():
        got = made.outlines[oid]
        assert got.keys() == outline.keys(), oid
        assert got.appendix == outline.appendix, oid
        for key in outline.keys():
            # The hand-written titles are the plan's words, some cut short ("… trên địa bàn tỉnh").
            assert fold(got.title_of(key)).startswith(fold(outline.title_of(key))), (oid, key)
    assert (made.deadline, made.start, made.mailbox_address) == (hand.deadline, hand.start, hand.mailbox_address)
    assert (made.plan_number, made.plan_date, made.plan_issuer) == (hand.plan_number, hand.plan_date, hand.plan_issuer)
    assert (made.secretary_name, made.secretary_title, made.secretary_phone, made.secretary_email) == (
        hand.secretary_name, hand.secretary_title, hand.secretary_phone, hand.secretary_email)
    assert (made.committee, made.committee_short) == (hand.committee, hand.committee_short)
    assert made.appendix.kind_keys() == ("CCN", "KCN")
    assert [c.key for c in made.appendix.read_columns] == [c.key for c in hand.appendix.read_columns]
    # The summary quotes the plan's own line for what it found.
    assert "deadline: 2024-05-10  ← «" in printed and "trước ngày 10/5/2024" in out.read_text(encoding="utf-8")
    assert "một số cơ quan, tổ chức thực hiện dự án" in printed      # the vague group: a template, no unit


def test_check_lists_the_todos_until_they_are_filled(tmp_path, capsys, seed_files):
    out, _ = init(tmp_path, seed_files[".docx"], ".docx", capsys)
    code = main(["--config", str(out), "--data-dir", str(tmp_path / "d"), "check"])
    err = capsys.readouterr().err
    assert code == 2
    todos = [line for line in err.splitlines() if "TODO" in line]
    assert len(todos) == 7 and all("e-mail addresses of" in t for t in todos)
    code = main(["--config", str(filled(out)), "--data-dir", str(tmp_path / "d2"), "check"])
    out_text, err = capsys.readouterr()
    assert code == 0, err
    assert "is ready" in out_text


def test_a_draft_plan_leaves_its_number_and_date_to_a_person(tmp_path, capsys):
    out, printed = init(tmp_path, build_plan(SEED), ".docx", capsys)
    text = out.read_text(encoding="utf-8")
    assert re.search(r"^# plan_number = .*# TODO: the plan's number", text, re.M)
    with pytest.raises(ConfigError) as error:
        load_campaign(out)
    assert "[campaign.plan_number]: missing" in error.value.problems
    assert any("TODO the plan's number" in p for p in error.value.problems)
    assert "TODO the plan's date" in printed


def _classified(config: Path, data: Path, capsys) -> list[dict]:
    answers = []
    for eml in sorted((REPO / "samples").glob("*.eml")):
        assert main(["--config", str(config), "--data-dir", str(data), "--now", "2024-05-14T17:00+07:00",
                     "classify", str(eml), "--json"]) in (0, 3)
        answer = json.loads(capsys.readouterr().out)
        answers.append({k: answer.get(k) for k in ("category", "unit", "action", "missing")}
                       | {"documents": [{k: d.get(k) for k in ("outline", "tables", "unit", "scanned")}
                                        for d in answer.get("documents", [])]})
    return answers


def test_demo_mail_through_the_generated_file_is_read_as_with_the_hand_written_one(tmp_path, capsys, seed_files):
    out, _ = init(tmp_path, seed_files[".docx"], ".docx", capsys)
    made = _classified(filled(out), tmp_path / "made", capsys)
    hand = _classified(HUNG_YEN, tmp_path / "hand", capsys)
    assert made == hand


@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_soffice)])
def test_a_plan_of_schools_with_one_outline_for_all_units(tmp_path, capsys, suffix):
    docx = build_plan((PLANS / "ke-hoach-truong-hoc-2025.md").read_text(encoding="utf-8"))
    data = docx if suffix == ".docx" else to_pdf(docx, tmp_path, "truong")
    out, printed = init(tmp_path, data, suffix, capsys)
    text = out.read_text(encoding="utf-8").replace("addresses = []", 'addresses = ["x@thaibinh.gov.vn"]', 1)
    text = text.replace('addresses = []', 'addresses = ["y@thaibinh.gov.vn"]', 1)
    text = text.replace('addresses = []', 'addresses = ["z@thaibinh.gov.vn"]', 1)
    out.write_text(text, encoding="utf-8")
    campaign = load_campaign_ignoring_todos(out)
    assert list(campaign.units) == ["so-giao-duc-va-dao-tao", "ubnd-vu-thu", "ubnd-kien-xuong"]
    assert campaign.units["ubnd-vu-thu"].issuer == "UBND HUYỆN VŨ THƯ"
    assert {"Vũ Thư", "Vu Thu"} <= set(campaign.units["ubnd-vu-thu"].aliases)
    assert {u.outline for u in campaign.units.values()} == {"chung"}
    assert campaign.outlines["chung"].keys() == ["1", "2", "2.1", "2.2", "2.2.a", "2.2.b", "3", "4", "PL"]
    assert campaign.outlines["chung"].title_of("2.2.b") == "Trường tiểu học và trung học cơ sở"
    assert campaign.deadline.isoformat() == "2025-03-20"           # "chậm nhất ngày 20 tháng 3 năm 2025"
    assert (campaign.plan_number, campaign.plan_date.isoformat()) == ("12/KH-VHXH", "2025-03-03")
    assert campaign.committee == "Ban Văn hóa - Xã hội HĐND tỉnh Thái Bình"
    assert (campaign.secretary_name, campaign.secretary_phone) == ("Nguyễn Thị Hoa", "0912.345.678")
    assert campaign.mailbox_address == "vhxh.hdnd@thaibinh.gov.vn"
    assert campaign.appendix.kind_keys() == ("TRUONG",)
    columns = {c.key: c.type for c in campaign.appendix.read_columns}
    assert columns == {"name": "text", "address": "text", "so_hoc_sinh": "count", "so_giao_vien": "count",
                       "dien_tich_khuon_vien_m2": "number"}
    assert "các đơn vị liên quan" in printed and "# [[units]]" in text


@pytest.mark.parametrize("suffix", [".docx", pytest.param(".pdf", marks=needs_soffice),
                                    pytest.param(".doc", marks=needs_soffice)])
def test_a_plan_of_hospitals_with_lettered_and_roman_outlines(tmp_path, capsys, suffix):
    docx = build_plan((PLANS / "ke-hoach-benh-vien-2025.md").read_text(encoding="utf-8"))
    data = docx if suffix == ".docx" else to_pdf(docx, tmp_path, "benh-vien", suffix[1:])
    out, _ = init(tmp_path, data, suffix, capsys)
    campaign = load_campaign_ignoring_todos(out)
    assert {u: c.outline for u, c in campaign.units.items()} == {
        "so-y-te": "syt", "so-lao-dong-thuong-binh-va-xa-hoi": None, "benh-vien-da-khoa": "benh-vien",
        "benh-vien-phu-san": "benh-vien"}
    assert campaign.units["so-lao-dong-thuong-binh-va-xa-hoi"].issuer == "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"
    assert campaign.outlines["syt"].keys() == ["A", "A.1", "A.2", "B", "C"]
    assert campaign.outlines["benh-vien"].keys() == ["I", "I.1", "I.2", "II", "III"]
    assert campaign.outlines["benh-vien"].title_of("I.2") == "Chi phí khám, chữa bệnh"
    assert campaign.deadline.isoformat() == "2025-06-16"           # "hạn cuối: 17 giờ ngày 16/6/2025"
    assert campaign.units["benh-vien-da-khoa"].name == "Bệnh viện Đa khoa tỉnh Nam Định"
    assert (campaign.secretary_name, campaign.secretary_title, campaign.secretary_phone) == (
        "Trần Văn Bình", "Chuyên viên phụ trách Ban Pháp chế", "0228.3645.123")
    assert campaign.committee_short == "Ban Pháp chế" and campaign.mailbox_address == "banphapche.hdnd@namdinh.gov.vn"


def load_campaign_ignoring_todos(path: Path):
    """The generated file with a placeholder address for every unit still marked TODO."""
    text = path.read_text(encoding="utf-8")
    count = text.count("addresses = []  # TODO:")
    for n in range(count):
        text = text.replace("addresses = []  # TODO:", f'addresses = ["unit{n}@example.vn"]  # filled:', 1)
    path.write_text(text, encoding="utf-8")
    return load_campaign(path)


def test_init_refuses_to_overwrite_and_reads_no_non_plan(tmp_path, capsys):
    out = tmp_path / "c.toml"
    out.write_text("x", encoding="utf-8")
    plan = tmp_path / "plan.docx"
    plan.write_bytes(build_plan(ISSUED))
    assert main(["init", str(plan), "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    assert main(["init", str(broken), "--out", str(tmp_path / "b.toml")]) == 1
    assert "broken.docx" in capsys.readouterr().err
