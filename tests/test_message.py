"""parse_message on messages built as real mailers write them, and on hostile input."""
from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_bot.config import Limits
from intake_bot.message import decode_bytes, html_to_text, parse_message
from tests.mime_builder import (
    DOCX_TYPE,
    PDF_BYTES,
    attachment,
    build,
    docx_bytes,
    encoded_word,
    encrypted_zip,
    forwarded,
    simple,
    text_part,
    zip_bytes,
    zip_with_raw_name,
)

LIMITS = Limits()
NAME = "Báo cáo giám sát Văn Lâm.docx"


@pytest.fixture(scope="module")
def docx():
    return docx_bytes("UBND HUYỆN VĂN LÂM", "BÁO CÁO", "I. KHÁI QUÁT CHUNG")


def only(message):
    assert len(message.attachments) == 1, message.attachments
    return message.attachments[0]


# ------------------------------------------------------------------ headers and names


def test_headers_are_decoded(docx):
    raw = build([("From", f"{encoded_word('UBND huyện Văn Lâm')} <UBND.VanLam@HungYen.gov.vn>"),
                 ("Subject", encoded_word("V/v gửi báo cáo giám sát")),
                 ("Cc", "a@x.vn, B <b@y.vn>"), ("Reply-To", "vp@vanlam.vn"),
                 ("In-Reply-To", "<abc@x>"), ("References", "<one@x> <abc@x>")],
                [text_part("Kính gửi Ban")])
    message = parse_message(raw, LIMITS)
    assert message.from_address == "ubnd.vanlam@hungyen.gov.vn"
    assert message.from_name == "UBND huyện Văn Lâm"
    assert message.subject == "V/v gửi báo cáo giám sát"
    assert message.cc == ["a@x.vn", "b@y.vn"] and message.reply_to == ["vp@vanlam.vn"]
    assert message.in_reply_to == "<abc@x>" and message.references == ["<one@x>", "<abc@x>"]
    assert message.date.isoformat() == "2024-05-08T09:14:10+07:00"
    assert message.text == "Kính gửi Ban"
    assert message.problems == []


@pytest.mark.parametrize("style", ["rfc2231", "rfc2047"])
def test_file_names_rfc2231_and_rfc2047(docx, style):
    long_name = "Báo cáo kết quả triển khai Chương trình phát triển CN-TTCN huyện Văn Lâm năm 2024.docx"
    message = parse_message(simple(files=[attachment(docx, long_name, DOCX_TYPE, style=style)]), LIMITS)
    file = only(message)
    assert file.filename == long_name
    assert file.kind == "docx" and file.data == docx and file.origin == "" and file.problem is None


def test_nfd_file_name_becomes_nfc(docx):
    nfd = unicodedata.normalize("NFD", NAME)
    assert nfd != NAME
    file = only(parse_message(simple(files=[attachment(docx, nfd, DOCX_TYPE)]), LIMITS))
    assert file.filename == NAME


def test_raw_8bit_subject_in_cp1258_and_file_name_in_utf8(docx):
    """Old Vietnamese mailers put raw bytes in headers: Windows-1258 or UTF-8, unannounced."""
    raw = (b"From: a@b.vn\r\nSubject: " + "Báo cáo".encode("cp1258")
           + b'\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="q"\r\n\r\n--q\r\n'
           + attachment(docx, "PLACEHOLDER", style="plain").render().replace(
               b"PLACEHOLDER", "Báo cáo Ân Thi.docx".encode())
           + b"\r\n--q--\r\n")
    message = parse_message(raw, LIMITS)
    assert message.subject == "Báo cáo"
    assert only(message).filename == "Báo cáo Ân Thi.docx"


def test_octet_stream_docx_is_a_docx(docx):
    file = only(parse_message(simple(files=[attachment(docx, "baocao.bin")]), LIMITS))
    assert file.kind == "docx" and file.content_type == "application/octet-stream"


def test_pdf_part_without_name_or_disposition():
    part = attachment(PDF_BYTES, None, "application/pdf", disposition=None)
    file = only(parse_message(simple(files=[part]), LIMITS))
    assert file.kind == "pdf" and file.filename.endswith(".pdf") and file.data == PDF_BYTES


def test_inline_image_is_kept_as_an_image():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    html = '<p>Kính gửi</p><img src="cid:logo1">'
    raw = build([("From", "a@b.vn"), ("Subject", "x")],
                [text_part(html, "html"), attachment(png, "logo.png", "image/png", disposition="inline",
                                                     content_id="logo1")], subtype="related")
    message = parse_message(raw, LIMITS)
    file = only(message)
    assert file.kind == "image" and file.content_id == "<logo1>"
    assert message.text == "Kính gửi" and "cid:logo1" in message.html


# ------------------------------------------------------------------ forwarded messages


def test_forwarded_message_attachment_counted_once(docx):
    inner = simple(sender="phongktht.kimdong@gmail.com", subject="Báo cáo giám sát CN-TTCN",
                   files=[attachment(docx, NAME, DOCX_TYPE)])
    outer = simple(sender="ubnd.kimdong@hungyen.gov.vn", subject="Fwd: Báo cáo giám sát",
                   files=[forwarded(inner)])
    message = parse_message(outer, LIMITS)
    file = only(message)
    assert file.filename == NAME and file.kind == "docx"
    assert file.origin == "Fwd: Báo cáo giám sát CN-TTCN"
    assert "Đơn vị gửi báo cáo" in message.text and message.text.count("Kính gửi") == 1


def test_eml_file_attachment_is_opened(docx):
    inner = simple(subject="Báo cáo", files=[attachment(docx, NAME, DOCX_TYPE)])
    file = only(parse_message(simple(files=[forwarded(inner, as_file="thu cu.eml")]), LIMITS))
    assert file.filename == NAME and file.origin == "Fwd: Báo cáo"


# ------------------------------------------------------------------ archives


def test_zip_members_are_attachments(docx):
    archive = zip_bytes({"bao cao/BC Van Lam.docx": docx, "bao cao/": b"", "readme.txt": b"hi"})
    message = parse_message(simple(files=[attachment(archive, "baocao.zip", "application/zip")]), LIMITS)
    files = {a.filename: a for a in message.attachments}
    assert set(files) == {"BC Van Lam.docx", "readme.txt"}
    assert files["BC Van Lam.docx"].kind == "docx" and files["BC Van Lam.docx"].data == docx
    assert files["BC Van Lam.docx"].origin == "baocao.zip"


@pytest.mark.parametrize("raw_name", ["Báo cáo.docx".encode(), "Báo cáo.docx".encode("cp1258")])
def test_zip_member_names_without_utf8_flag(docx, raw_name):
    archive = zip_with_raw_name(raw_name, docx)
    assert not zipfile.ZipFile(io.BytesIO(archive)).infolist()[0].flag_bits & 0x800
    file = only(parse_message(simple(files=[attachment(archive, "a.zip")]), LIMITS))
    assert file.filename == unicodedata.normalize("NFC", "Báo cáo.docx") and file.kind == "docx"


def test_zip_bomb_member_is_refused(docx):
    archive = zip_bytes({"bomb.txt": b"\x00" * (3 * 1024 * 1024), "BC.docx": docx})
    message = parse_message(simple(files=[attachment(archive, "a.zip")]), LIMITS)
    files = {a.filename: a for a in message.attachments}
    assert "zip bomb" in files["bomb.txt"].problem and files["bomb.txt"].data == b""
    assert files["BC.docx"].kind == "docx"


def test_unpacked_budget_is_shared_by_the_message(docx):
    limits = replace(LIMITS, max_unpacked_mb=0.05)
    archive = zip_bytes({"one.docx": docx, "two.docx": docx_bytes("khác")}, zipfile.ZIP_STORED)
    message = parse_message(simple(files=[attachment(archive, "a.zip")]), limits)
    problems = [a.problem for a in message.attachments]
    assert problems[0] is None and "unpacks to more than 0.05 MB" in problems[1]


def test_too_many_entries_leaves_the_archive_closed():
    archive = zip_bytes({f"f{n}.txt": b"x" for n in range(6)})
    file = only(parse_message(simple(files=[attachment(archive, "many.zip")]),
                              replace(LIMITS, max_archive_entries=5)))
    assert file.kind == "zip" and "holds 6 files" in file.problem and file.data == b""
    assert file.problem_vi.startswith("Tệp nén chứa 6 tệp")


def test_nested_zip_beyond_depth(docx):
    level3 = zip_bytes({"BC.docx": docx})
    level2 = zip_bytes({"l3.zip": level3})
    level1 = zip_bytes({"l2.zip": level2})
    deep = parse_message(simple(files=[attachment(level1, "l1.zip")]), replace(LIMITS, max_archive_depth=2))
    file = only(deep)
    assert file.filename == "l3.zip" and "nested more than 2 levels" in file.problem
    assert file.origin == "l1.zip / l2.zip"
    shallow = only(parse_message(simple(files=[attachment(level1, "l1.zip")]), LIMITS))
    assert shallow.kind == "docx" and shallow.origin == "l1.zip / l2.zip / l3.zip"


def test_encrypted_member_and_zip_slip_are_reported_not_read(docx):
    encrypted = only(parse_message(simple(files=[attachment(encrypted_zip("BC.docx", docx), "a.zip")]), LIMITS))
    assert encrypted.kind == "encrypted" and "password" in encrypted.problem and encrypted.data == b""
    slip = only(parse_message(simple(files=[attachment(zip_bytes({"../../etc/BC.docx": docx}), "b.zip")]), LIMITS))
    assert slip.filename == "BC.docx" and "unsafe path" in slip.problem and slip.data == b""


def test_damaged_zip():
    file = only(parse_message(simple(files=[attachment(b"PK\x03\x04" + b"\x00" * 40, "x.zip")]), LIMITS))
    assert file.kind == "zip" and "damaged" in file.problem


# ------------------------------------------------------------------ limits and hostile input


def test_oversized_attachment_is_kept_without_bytes(docx):
    file = only(parse_message(simple(files=[attachment(docx, NAME, DOCX_TYPE)]),
                              replace(LIMITS, max_attachment_mb=0.01)))
    assert file.kind == "docx" and file.data == b"" and file.problem.startswith("skipped:")
    assert "over the 0.01 MB limit" in file.problem


def test_oversized_message_is_read_for_headers_only(docx):
    message = parse_message(simple(files=[attachment(docx, NAME, DOCX_TYPE)]), replace(LIMITS, max_message_mb=0.01))
    assert message.subject == "V/v gửi báo cáo giám sát"
    assert "over the 0.01 MB limit" in only(message).problem


def test_invalid_base64_is_decoded_as_far_as_possible(docx):
    raw = simple(files=[attachment(docx, NAME, DOCX_TYPE)])
    broken = raw.replace(b"\r\n\r\nUEsDB", b"\r\n\r\n!!UEsDB", 1)
    message = parse_message(broken, LIMITS)
    assert only(message).data == docx
    assert any("broken transfer encoding" in p for p in message.problems)


def test_unknown_charset_falls_back():
    raw = build([("From", "a@b.vn"), ("Subject", "=?x-klingon?q?B=C3=A1o?=")], [text_part("Kính gửi")])
    message = parse_message(raw.replace(b'charset="utf-8"', b'charset="x-klingon"'), LIMITS)
    assert message.text == "Kính gửi" and message.subject == "Báo"


def test_decode_bytes_order():
    assert decode_bytes("Văn Lâm".encode(), "gb2312") == "Văn Lâm"
    assert decode_bytes("Văn Lâm".encode("cp1258"), None) == "Văn Lâm"
    assert decode_bytes("Hưng Yên".encode("cp1258"), "x-unknown") == "Hưng Yên"
    assert decode_bytes("Müller".encode("latin-1"), "iso-8859-1") == "Müller"


def test_broken_boundary_parts_recovered_from_epilogue(docx):
    raw = (b"From: a@b.vn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
           b'--XX\r\nContent-Type: multipart/alternative; boundary="XX"\r\n\r\n'
           b"--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n--XX--\r\n\r\n"
           + b"--XX\r\n" + attachment(docx, "BC.docx", DOCX_TYPE).render() + b"\r\n--XX--\r\n")
    message = parse_message(raw, LIMITS)
    assert [a.kind for a in message.attachments] == ["docx"]


def test_html_only_body_becomes_text():
    html = ('<html><head><style>p{}</style></head><body><p>Kính&nbsp;gửi Ban</p>'
            '<a href="https://drive.google.com/x">Báo cáo</a><blockquote>cũ</blockquote></body></html>')
    assert html_to_text(html) == "Kính gửi Ban\nBáo cáo <https://drive.google.com/x>\n> cũ"
    message = parse_message(build([("From", "a@b.vn")], [text_part(html, "html")]), LIMITS)
    assert message.text.startswith("Kính gửi Ban") and message.html == html


@pytest.mark.parametrize("raw", [
    b"", b"\x00" * 100, b"garbage without headers", b"From: \xff\xfe\r\n\r\n\xff",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
    b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n--a',
    b"Subject: =?utf-8?b?!!!?=\r\nFrom: <<<@>>>\r\nDate: not a date\r\n\r\nx",
    b"Content-Type: text/plain; charset=\"utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@",
])
def test_garbage_never_raises(raw):
    message = parse_message(raw, LIMITS)
    assert isinstance(message.subject, str) and isinstance(message.attachments, list)


def test_empty_message_says_so():
    assert parse_message(b"", LIMITS).problems == ["empty message"]


def test_deeply_nested_messages_are_bounded():
    raw = simple(subject="0")
    for n in range(30):
        raw = simple(subject=str(n + 1), files=[forwarded(raw)])
    message = parse_message(raw, LIMITS)
    assert any("nested more than" in p for p in message.problems)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse(raw):
    parse_message(b"From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n" + raw, LIMITS)
    parse_message(raw, LIMITS)


def test_multipart_nesting_too_deep_for_the_parser_keeps_the_headers():
    raw = b"From: a@b.vn\r\nSubject: bao cao\r\n" + b"".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n'.encode() for n in range(3000))
    message = parse_message(raw, LIMITS)
    assert message.subject == "bao cao" and message.from_address == "a@b.vn"
    assert message.problems == ["MIME structure nested too deep: parts not read"]
