"""Headers with Vietnamese text keep every space in every reader (RFC 2047 §6.2: whitespace
between two adjacent encoded words is dropped, so a space must travel inside a word)."""
from __future__ import annotations

import base64
import binascii
import email
import email.header
import email.utils
import quopri
import re
from email import policy
from email.message import EmailMessage

import pytest

from intake_bot.headers import mailbox, unstructured

SUBJECTS = [
    "Đã nhận báo cáo giám sát – đề nghị bổ sung nội dung – UBND huyện Văn Lâm",
    "Đề nghị bổ sung nội dung báo cáo phục vụ Đoàn giám sát – UBND huyện Văn Lâm",
    "Tổng hợp ngày 14 tháng 5 năm 2024: 3 đơn vị đã đủ, 2 đơn vị còn thiếu, 2 đơn vị chưa gửi báo cáo",
    "V/v đôn đốc gửi báo cáo phục vụ giám sát chuyên đề theo Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 "
    "của Đoàn giám sát HĐND tỉnh – UBND thị xã Mỹ Hào (lần 3, đã quá hạn 7 ngày làm việc)",
    "Ủy ban nhân dân huyện Khoái Châu  (hai dấu cách) và x",
]
_EW = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def strict_decode(value: str) -> str:
    """RFC 2047 as a strict reader applies it: unfold; an encoded word is a whole
    whitespace-delimited token of at most 75 characters; whitespace between two encoded words
    is dropped, other whitespace kept; anything else is shown as it is."""
    tokens = re.findall(r"[ \t]+|[^ \t]+", re.sub(r"\r?\n(?=[ \t])", "", value))
    shown: list[tuple[str, bool]] = []  # (text, is an encoded word)
    for token in tokens:
        match = _EW.fullmatch(token)
        if match and len(token) <= 75:
            charset, encoding, text = match.groups()
            data = (base64.b64decode(text, validate=True) if encoding in "bB"
                    else quopri.decodestring(text.replace("_", " "), header=True))
            shown.append((data.decode(charset), True))
        else:
            shown.append((token, False))
    out = []
    for n, (text, encoded) in enumerate(shown):
        between_words = (not text.strip() and 0 < n < len(shown) - 1
                         and shown[n - 1][1] and shown[n + 1][1])
        if not between_words:
            out.append(text)
    return "".join(out)


def stdlib_decode(value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(value)))


def header_lines(raw: bytes, name: str) -> str:
    """The raw (folded, undecoded) value of a header."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    match = re.search(rf"^{name}: (.*?)\r\n(?![ \t])", head + "\r\n", re.M | re.S)
    return match.group(1)


def mailbox_parts(folded: str, decode) -> tuple[str, str]:
    """(display name, address) of `Name <address>`: the phrase is decoded on its own, as a
    reader does, so that a comma inside an encoded word stays part of the name."""
    phrase, _, address = folded.rpartition("<")
    return decode(phrase).strip(), address.rstrip(">")


def test_the_strict_decoder_drops_space_between_encoded_words():
    """The rule the fix is about: the decoder used below does drop such a space."""
    a, b = (f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in ("đề", "nghị"))
    assert strict_decode(f"{a} {b}") == "đềnghị" == stdlib_decode(f"{a} {b}")
    assert strict_decode(f"{a} x") == "đề x"
    with pytest.raises(binascii.Error):
        strict_decode("=?utf-8?b?@@@?=")


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_decode_with_every_space(subject):
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = unstructured("Subject", subject)
    msg.set_content("x")
    raw = msg.as_bytes()
    folded = header_lines(raw, "Subject")
    assert folded.isascii() and all(len(line) <= 76 for line in f"Subject: {folded}".split("\r\n"))
    assert strict_decode(folded) == subject
    assert stdlib_decode(folded) == subject
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    assert msg["Subject"] == subject


def test_ascii_subject_is_left_to_the_library():
    assert unstructured("Subject", "Report") == "Report"


@pytest.mark.parametrize("name", ["Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên",
                                  "Ban Kinh tế - Ngân sách, Hội đồng nhân dân tỉnh Hưng Yên (Thường trực)",
                                  "Committee"])
def test_display_names_decode_with_every_space(name):
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = mailbox("From", name, "ktns.hdndhy@gmail.com")
    msg.set_content("x")
    raw = msg.as_bytes()
    folded = header_lines(raw, "From")
    assert all(len(line) <= 76 for line in f"From: {folded}".split("\r\n"))
    for decode in (strict_decode, stdlib_decode):
        assert mailbox_parts(folded, decode) == (name, "ktns.hdndhy@gmail.com")
    # Not policy.default: CPython 3.11's address parser keeps the folding whitespace between
    # encoded words, against RFC 2047 (see tests/test_outbox.display_name).


def test_the_demo_mail_decodes_with_every_space(tmp_path, capsys, monkeypatch):
    from intake_bot.cli import main
    from intake_bot.outbox import FileTransport
    from intake_bot.store.db import DATABASE_URL_ENV, Store

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    data = tmp_path / "demo"
    assert main(["--data-dir", str(data), "demo"]) == 0
    capsys.readouterr()
    store = Store(data)
    rows = store.outgoing_in_states("sent")
    store.close()
    files = FileTransport(data / "outbox")
    assert len(rows) >= 5 and len(list((data / "outbox").glob("*.eml"))) == len(rows)
    for row in rows:
        raw = files.path_for(row.key).read_bytes()
        for decode in (strict_decode, stdlib_decode):
            assert decode(header_lines(raw, "Subject")) == row.subject, row.key
            assert mailbox_parts(header_lines(raw, "From"), decode) == (
                "Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên", "ktns.hdndhy@gmail.com")
