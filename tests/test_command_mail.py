"""Where the secretary's commands are in her mail (command_mail.command_lines): the subject and
her own text, never the digest she replies to, in every mail client's quoting."""
from __future__ import annotations

import pytest

from intake_bot.command_mail import command_lines, own_text
from intake_bot.config import Limits
from intake_bot.message import parse_message

from . import command_mails as cm

LINES = ["GÁN #7 Văn Lâm", "ĐÃ NHẬN BẢN GIẤY Yên Mỹ"]
QUOTED_COMMANDS = {"GÁN #1 Văn Lâm", "BỎ QUA #2", "TẠM DỪNG NHẮC"}


def lines_of(raw: bytes) -> list[str]:
    return command_lines(parse_message(raw, Limits()))


@pytest.mark.parametrize("client", [cm.gmail_reply, cm.html_only_reply, cm.outlook_reply, cm.plain])
def test_her_own_lines_are_read_and_the_quoted_digest_never(client):
    found = lines_of(client(LINES))
    assert [line for line in found if line in LINES] == LINES
    assert not QUOTED_COMMANDS & set(found), found


def test_the_subject_is_a_line_without_its_reply_prefixes():
    raw = cm.plain([], subject="RE: Fwd: ĐÃ NHẬN BẢN GIẤY Yên Mỹ")
    assert lines_of(raw)[0] == "ĐÃ NHẬN BẢN GIẤY Yên Mỹ"


def test_a_forward_keeps_her_lines_above_the_forwarded_message_only():
    raw = cm.gmail_forward(["NỘP THAY Mỹ Hào", "BÁO ĐƠN VỊ"], b"PK", "BC.docx", "phongkt@gmail.com")
    found = lines_of(raw)
    assert found == ["Báo cáo giám sát", "NỘP THAY Mỹ Hào", "BÁO ĐƠN VỊ"]


@pytest.mark.parametrize("text, kept", [
    ("GÁN #3 Văn Lâm\nOn Fri, May 10, 2024 at 5:00 PM Ban <a@b.vn> wrote:\n> BỎ QUA #2", "GÁN #3 Văn Lâm"),
    ("GÁN #3 Văn Lâm\nOn Fri, May 10, 2024 at 5:00 PM Ban Kinh tế - Ngân sách\n<a@b.vn>\nwrote:\nBỎ QUA #2",
     "GÁN #3 Văn Lâm"),
    ("MIỄN Ân Thi\n-----Original Message-----\nFrom: x\nBỎ QUA #2", "MIỄN Ân Thi"),
    ("MIỄN Ân Thi\nTừ: Ban Kinh tế\nĐã gửi: Thứ Sáu\nBỎ QUA #2", "MIỄN Ân Thi"),
    ("MIỄN Ân Thi\n--\nThư ký\nBỎ QUA #2", "MIỄN Ân Thi"),
    ("MIỄN Ân Thi\n\nOn 10 May, at 17:00, someone said nothing\nTIẾP TỤC NHẮC",
     "MIỄN Ân Thi\n\nOn 10 May, at 17:00, someone said nothing\nTIẾP TỤC NHẮC"),
])
def test_own_text_ends_at_the_first_quoted_part(text, kept):
    assert own_text(text) == kept



def test_check_renders_the_confirmation_templates(campaign, tmp_path):
    import dataclasses
    import shutil

    from intake_bot.checks import check_templates

    from .conftest import REPO

    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    assert all(o.state == "ok" for o in check_templates(dataclasses.replace(campaign, templates_dir=templates)))
    (templates / "command_reply.txt.j2").write_text("{% for r in results %}", encoding="utf-8")
    failed = [o for o in check_templates(dataclasses.replace(campaign, templates_dir=templates)) if o.state != "ok"]
    assert [o.what.split(" templates")[0] for o in failed] == ["command confirmation"], failed
