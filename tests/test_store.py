"""The store on a real SQLite file and on the local PostgreSQL (a fresh schema per test)."""
from __future__ import annotations

import datetime as dt
import os
import secrets
import stat

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from intake_bot.store import db as dbmodule
from intake_bot.store.archive import Archive, sha256_of
from intake_bot.store.db import FilePlan, NewDocument, NewEvent, NewMessage, NewOutgoing, Store
from intake_bot.store.models import DocumentRow, SourceAlias

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ICT = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 5, 9, 10, 0, tzinfo=ICT)


def _postgres_schema_url():
    """A URL whose connections use a new, empty schema; and a function that drops it."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3,
                                autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    schema = f"t_{secrets.token_hex(6)}"
    admin.execute(f"CREATE SCHEMA {schema}")

    def drop():
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

    return f"{PG_SERVER}?options=-csearch_path%3D{schema}", drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path, monkeypatch):
    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    if request.param == "sqlite":
        s = Store(tmp_path / "data")
        yield s
        s.close()
        return
    url, drop = _postgres_schema_url()
    s = Store(tmp_path / "data", url=url)
    yield s
    s.close()
    drop()


def message(key: str, **fields) -> NewMessage:
    values = dict(source_key=key, raw_sha256=sha256_of(key.encode()), message_id=f"<{key}@example.vn>",
                  sender="vanphong@vanlam.hungyen.gov.vn", subject="Báo cáo giám sát", received_at=NOW,
                  category="report", action="acknowledge", unit="ubnd-van-lam")
    values.update(fields)
    return NewMessage(**values)


def document(store: Store, data: bytes, unit: str | None, version: int | None, file: FilePlan,
             name="BC.docx", fmt="docx") -> NewDocument:
    return NewDocument(sha256=store.archive.put(data), filename=name, unit=unit, version=version, part=file.part,
                       duplicate_of=file.duplicate_of, extraction={"file": name}, format=fmt, size=len(data))


def outgoing(key: str, to: str = "vanphong@vanlam.hungyen.gov.vn", **fields) -> NewOutgoing:
    values = dict(key=key, kind="acknowledge", to=[to], subject="Xác nhận đã nhận báo cáo",
                  text="Kính gửi ...", message_id=f"<{secrets.token_hex(8)}@bot>", unit="ubnd-van-lam")
    values.update(fields)
    return NewOutgoing(**values)


def record_files(store: Store, key: str, unit: str, files: list[tuple[bytes, str, str]], at=NOW) -> int:
    """Record a message of `unit` carrying (data, filename, format) files, versions planned."""
    plan = store.plan_submission(unit, [sha256_of(data) for data, _, _ in files])
    docs = [document(store, data, unit, plan.version, file, name, fmt)
            for (data, name, fmt), file in zip(files, plan.files)]
    store.archive.put(key.encode())  # the "raw message" of message(key)
    return store.record(message(key, unit=unit, received_at=at), docs, [], [], at)


def test_record_keeps_everything_in_one_transaction(store):
    plan = store.plan_submission("ubnd-van-lam", [sha256_of(b"report v1")])
    row_id = store.record(
        message("m1", sent_date=NOW - dt.timedelta(hours=1), reasons=["sender registered"], problems=[],
                decision={"category": "report"}),
        [document(store, b"report v1", "ubnd-van-lam", plan.version, plan.files[0])],
        [outgoing("ack:<m1@example.vn>")],
        [NewEvent("limit", {"what": "attachment too large"}, unit="ubnd-van-lam")], NOW)
    assert store.is_recorded("m1") and not store.is_recorded("m2")
    [m] = store.messages()
    assert (m.id, m.unit, m.reasons, m.decision) == (row_id, "ubnd-van-lam", ["sender registered"], {"category": "report"})
    assert m.received_at == NOW and m.received_at.tzinfo is not None
    assert m.sent_date == NOW - dt.timedelta(hours=1)
    [d] = store.documents(row_id)
    assert (d.version, d.duplicate_of, d.extraction) == (1, None, {"file": "BC.docx"})
    row = store.outgoing("ack:<m1@example.vn>")
    assert (row.state, row.attempts, row.message_row_id, row.recipient) == ("queued", 0, row_id, "vanphong@vanlam.hungyen.gov.vn")
    assert [e.kind for e in store.events(NOW - dt.timedelta(days=1))] == ["limit"]

    # The same source key again: the whole second record is refused, nothing of it stays.
    with pytest.raises(IntegrityError):
        store.record(message("m1", message_id="<other@x>"), [], [outgoing("ack:<other@x>")],
                     [NewEvent("error", {})], NOW)
    assert len(store.messages()) == 1 and store.outgoing("ack:<other@x>") is None
    assert len(store.events(NOW - dt.timedelta(days=1))) == 1


def test_a_submission_is_one_version_and_its_files_are_parts(store):
    """A report and its appendix sent in one mail are version 1 in two parts, not versions 1
    and 2; a byte-identical resend is no version; the next mail with a new file is version 2."""
    record_files(store, "m1", "ubnd-van-lam", [(b"docx v1", "BC.docx", "docx"), (b"xlsx v1", "PL.xlsx", "xlsx")])
    record_files(store, "m2", "ubnd-yen-my", [(b"docx v1", "BC.docx", "docx")])  # same bytes, other unit
    record_files(store, "m3", "ubnd-van-lam", [(b"docx v1", "BC (1).docx", "docx")])  # a resend
    # The same docx again with a corrected workbook: a new submission, the docx one of its parts.
    record_files(store, "m4", "ubnd-van-lam", [(b"docx v1", "BC (2).docx", "docx"), (b"xlsx v2", "PL.xlsx", "xlsx")])
    docs = store.documents()
    assert [(d.unit, d.version, d.part) for d in docs] == [
        ("ubnd-van-lam", 1, 1), ("ubnd-van-lam", 1, 2), ("ubnd-yen-my", 1, 1), ("ubnd-van-lam", None, None),
        ("ubnd-van-lam", 2, 1), ("ubnd-van-lam", 2, 2)]
    assert [d.duplicate_of for d in docs] == [None, None, None, docs[0].id, docs[0].id, None]
    plan = store.plan_submission("ubnd-van-lam", [sha256_of(b"docx v1"), sha256_of(b"new")])
    assert plan.version == 3 and [(f.part, f.duplicate_of, f.duplicate_of_filename) for f in plan.files] == [
        (1, docs[0].id, "BC.docx"), (2, None, None)]
    resend = store.plan_submission("ubnd-van-lam", [sha256_of(b"xlsx v2"), sha256_of(b"docx v1")])
    assert resend.version is None and [f.duplicate_of for f in resend.files] == [docs[5].id, docs[0].id]
    assert store.consistency_check() == []

    summary = store.unit_summary()
    assert (summary["ubnd-van-lam"].version, summary["ubnd-van-lam"].documents, summary["ubnd-van-lam"].messages) == (2, 3, 3)
    assert summary["ubnd-yen-my"].version == 1

    # Two documents can never claim the same part of a unit's version.
    with pytest.raises(IntegrityError):
        store.record(message("m5"), [NewDocument(sha256_of(b"x"), "x.docx", "ubnd-van-lam", 2, None, None, part=2)],
                     [], [], NOW)
    # Nor can a version be spread over two messages.
    with store.transaction() as s:
        s.add(DocumentRow(message_row_id=1, sha256=sha256_of(b"y"), filename="y", unit="ubnd-van-lam", version=2, part=3))
    assert "unit ubnd-van-lam: version 2 is not the parts 1..3 of one message (parts [1, 2, 3])" in store.consistency_check(verify_hashes=False)


def test_latest_documents_per_role(store):
    later = NOW + dt.timedelta(days=1)
    record_files(store, "m1", "ubnd-van-lam", [(b"report v1", "BC.docx", "docx"), (b"report v1 pdf", "BC.pdf", "pdf")])
    record_files(store, "m2", "ubnd-van-lam", [(b"appendix", "PL.xlsx", "xlsx")], at=later)
    latest = store.latest_documents_by_unit()
    assert sorted(d.filename for d in latest["ubnd-van-lam"]) == ["BC.docx", "BC.pdf", "PL.xlsx"]
    # A corrected report replaces both earlier report files; the appendix stays.
    record_files(store, "m3", "ubnd-van-lam", [(b"report v2", "BC-sua.docx", "docx")], at=later + dt.timedelta(hours=1))
    latest = store.latest_documents_by_unit()
    assert sorted(d.filename for d in latest["ubnd-van-lam"]) == ["BC-sua.docx", "PL.xlsx"]
    assert {d.version for d in latest["ubnd-van-lam"]} == {2, 3}  # the appendix of mail 2, the report of mail 3


def test_outbox_rows_are_once_only_and_counted(store):
    with store.transaction() as s:
        assert store.queue_outgoing(s, outgoing("remind:ubnd-van-lam:2024-05-07", kind="reminder_before"), NOW)
        assert not store.queue_outgoing(s, outgoing("remind:ubnd-van-lam:2024-05-07", subject="other"), NOW)
    assert store.outgoing("remind:ubnd-van-lam:2024-05-07").subject == "Xác nhận đã nhận báo cáo"
    assert store.outbox_counts() == {"queued": 1, "sending": 0, "sent": 0, "failed": 0, "unknown": 0, "closed": 0}

    row_id = store.record(message("m1"), [], [outgoing("ack:1", to="VanPhong@VanLam.hungyen.gov.vn")], [], NOW)
    store.record(message("m2"), [], [outgoing("ack:2")], [], NOW + dt.timedelta(hours=2))
    # The reminder is not a reply; the two acknowledgements are, whatever the address's case.
    assert store.acks_sent_to("vanphong@vanlam.hungyen.gov.vn", NOW) == 2
    assert store.acks_sent_to("vanphong@vanlam.hungyen.gov.vn", NOW + dt.timedelta(hours=1)) == 1
    assert store.unit_of_recipient("VANPHONG@vanlam.hungyen.gov.vn") == "ubnd-van-lam"
    assert store.outgoing("ack:1").message_row_id == row_id

    ack = store.outgoing("ack:1")
    store.begin_sending(ack.id)
    store.set_outgoing_state(ack.id, "sent", sent_at=NOW)
    reminder = store.outgoing("remind:ubnd-van-lam:2024-05-07")
    store.begin_sending(reminder.id)
    store.set_outgoing_state(reminder.id, "sent", sent_at=NOW)
    assert store.outgoing("ack:1").attempts == 1 and store.outgoing("ack:1").sent_at == NOW
    assert store.outbox_counts()["sent"] == 2
    assert store.unit_summary()["ubnd-van-lam"].reminders_sent == 1
    assert [r.key for r in store.due_outgoing(NOW + dt.timedelta(hours=3))] == ["ack:2"]
    assert store.due_outgoing(NOW) == []  # ack:2 was queued later than NOW


def test_views_for_status(store):
    store.record(message("m1", category="unmatched", action="review", unit=None, review_state="open",
                         reasons=["no unit named"]), [], [], [], NOW)
    store.record(message("m2"), [], [], [], NOW)
    store.record(message("m3", category="auto_reply", action="ignore"), [], [], [], NOW)
    assert store.counts_by_category() == {"unmatched": 1, "report": 1, "auto_reply": 1}
    [item] = store.review_queue()
    assert (item.source_key, item.category, item.reasons) == ("m1", "unmatched", ["no unit named"])
    store.add_event("bounce", {"address": "ubnd.anthii@hungyen.gov.vn"}, NOW, unit="ubnd-an-thi")
    assert [e.unit for e in store.events(NOW, kinds=("bounce",))] == ["ubnd-an-thi"]
    assert store.events(NOW, kinds=("error",)) == []


def test_hostile_lengths_fit(store):
    huge_id = "<" + "x" * 3000 + "@spam>"
    row_id = store.record(message("m1", message_id=huge_id, sender="a" * 400 + "@x.vn"),
                          [NewDocument(sha256_of(b"d"), "d" * 2000 + ".docx", None, None, None, None,
                                       content_type="application/" + "x" * 500)], [], [], NOW)
    [m] = store.messages()
    assert (m.id, len(m.message_id), len(m.sender)) == (row_id, 900, 320)
    assert len(store.documents()[0].content_type) == 255


def test_same_message_under_a_new_key(store):
    row_id = store.record(message("imap:INBOX:1:7"), [], [], [], NOW)
    sha = sha256_of(b"imap:INBOX:1:7")
    assert store.find_by_message_id_and_hash("<imap:INBOX:1:7@example.vn>", sha) == row_id
    assert store.find_by_message_id_and_hash("<imap:INBOX:1:7@example.vn>", sha256_of(b"edited")) is None
    assert store.find_by_message_id_and_hash(None, sha) is None
    store.add_alias("imap:INBOX:2:7", row_id, NOW)
    assert store.is_recorded("imap:INBOX:2:7")
    assert len(store.messages()) == 1


def test_consistency_check_finds_damage(store):
    record_files(store, "m1", "ubnd-van-lam", [(b"docx v1", "BC.docx", "docx")])
    record_files(store, "m2", "ubnd-van-lam", [(b"docx v2", "BC.docx", "docx")])
    assert store.consistency_check() == []
    store.archive.path(sha256_of(b"docx v1")).write_bytes(b"tampered")
    store.archive.path(sha256_of(b"docx v2")).unlink()
    with store.transaction() as s:
        s.add(DocumentRow(message_row_id=1, sha256=sha256_of(b"m1"), filename="x", unit="ubnd-van-lam", version=5))
        s.add(SourceAlias(source_key="m2", message_row_id=1, seen_at=NOW))
    problems = store.consistency_check()
    assert any("BC.docx" in p and "damaged" in p for p in problems)
    assert sum("missing or damaged" in p and "document" in p for p in problems) == 2
    assert "source key m2 is recorded 2 times" in problems
    assert "unit ubnd-van-lam: versions [1, 2, 5] do not run 1..3" in problems
    assert sum("missing or damaged" in p and "document" in p for p in store.consistency_check(verify_hashes=False)) == 1


def test_reopening_upgrades_once(store, tmp_path, monkeypatch):
    store.record(message("m1"), [], [], [], NOW)
    latest = dbmodule.UPGRADES[-1][0]
    assert store.schema_version == latest
    ran = []

    def add_note_column(conn):
        ran.append(1)
        conn.execute(text("ALTER TABLE events ADD COLUMN note TEXT"))

    monkeypatch.setattr(dbmodule, "UPGRADES", (*dbmodule.UPGRADES, (latest + 1, add_note_column)))
    again = Store(store.data_dir, url=store.url)
    assert (again.schema_version, ran, len(again.messages())) == (latest + 1, [1], 1)
    again.close()
    third = Store(store.data_dir, url=store.url)
    assert (third.schema_version, ran) == (latest + 1, [1])
    third.close()


def test_sqlite_settings_and_private_files(tmp_path, monkeypatch):
    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    store = Store(tmp_path / "data")
    store.archive.put(b"a message")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == dbmodule.SQLITE_BUSY_TIMEOUT_MS
    with pytest.raises(IntegrityError):  # foreign keys are enforced
        store.record(message("m1"), [NewDocument("a" * 64, "x", None, None, 999, None)], [], [], NOW)
    store.close()
    data = tmp_path / "data"
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_an_existing_data_dir_keeps_its_mode_and_the_url_hides_passwords(tmp_path, monkeypatch):
    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    os.chmod(tmp_path, 0o755)
    store = Store(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "archive").stat().st_mode) == 0o700
    store.close()
    assert dbmodule.redacted_url("postgresql+psycopg://bot:hunter2@db/x") == "postgresql+psycopg://bot:***@db/x"
    assert store.display_url == f"sqlite:///{tmp_path / 'intake.db'}"


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(dbmodule.DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'elsewhere.db'}")
    store = Store(tmp_path / "data")
    store.record(message("m1"), [], [], [], NOW)
    store.close()
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "data" / "intake.db").exists()


def test_archive_is_content_addressed_and_atomic(tmp_path):
    archive = Archive(tmp_path / "archive")
    sha = archive.put("Báo cáo".encode())
    assert archive.put("Báo cáo".encode()) == sha == sha256_of("Báo cáo".encode())
    assert archive.path(sha) == tmp_path / "archive" / sha[:2] / sha[2:4] / sha
    assert archive.get(sha) == "Báo cáo".encode() and archive.verify(sha)
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "archive").rglob("*"))
    for hostile in ("../../etc/passwd", "A" * 64, sha[:63]):
        with pytest.raises(ValueError):
            archive.path(hostile)
    archive.path(sha).write_bytes("Báo".encode())  # lost bytes: storing it again repairs it
    assert not archive.verify(sha) and archive.put("Báo cáo".encode()) == sha and archive.verify(sha)
    archive.path(sha).write_bytes(b"changed!!")  # same size, other bytes: only verify sees it
    assert not archive.verify(sha) and archive.contains(sha)
    assert not archive.verify("0" * 64)
    assert os.listdir(tmp_path / "archive") == [sha[:2]]


def test_section_texts_are_kept_apart_from_the_extraction(store):
    extraction = {"file": "BC.docx", "sections": [
        {"key": "I", "heading": "I. Khái quát chung", "level": 1, "text_chars": 24,
         "text": "Huyện có 2 cụm công nghiệp.\nDòng thứ hai."},
        {"key": "II", "heading": "II. Kết quả thực hiện", "level": 1, "text_chars": 0, "text": ""}]}
    doc = NewDocument(sha256=store.archive.put(b"bc"), filename="BC.docx", unit="ubnd-van-lam", version=1,
                      duplicate_of=None, extraction=extraction, format="docx", size=2)
    row_id = store.record(message("m1"), [doc], [], [], NOW)
    (stored,) = store.documents(row_id)
    assert all("text" not in s for s in stored.extraction["sections"])
    assert stored.extraction["sections"][0]["text_chars"] == 24
    texts = store.section_texts([stored.id])[stored.id]
    assert [(t.position, t.key, t.heading, t.text) for t in texts] == [
        (0, "I", "I. Khái quát chung", "Huyện có 2 cụm công nghiệp.\nDòng thứ hai."),
        (1, "II", "II. Kết quả thực hiện", "")]


def test_a_version_1_database_gets_the_section_texts_table(store):
    store.record(message("m1"), [], [], [], NOW)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE section_texts"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    again = Store(store.data_dir, url=store.url)
    try:
        assert again.schema_version >= 2
        assert again.section_texts([1]) == {1: []}
        assert len(again.messages()) == 1
    finally:
        again.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_database_that_counted_files_upgrades_to_submissions(backend, tmp_path, monkeypatch):
    """A schema-2 database, where each file was a version (unique unit+version) and section
    texts point to documents, opens as one where each message is a version with parts."""
    from sqlalchemy import (JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text,
                            UniqueConstraint, create_engine, insert)

    from intake_bot.store.models import Base, SchemaVersion, SectionTextRow

    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    url, drop = (f"sqlite:///{tmp_path / 'old.db'}", lambda: None) if backend == "sqlite" else _postgres_schema_url()
    old = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name != "documents":
            table.to_metadata(old)
    documents = Table(  # documents as schema version 2 had them
        "documents", old,
        Column("id", Integer, primary_key=True), Column("message_row_id", ForeignKey("messages.id"), index=True),
        Column("sha256", String(64), index=True), Column("filename", Text), Column("content_type", String(255)),
        Column("kind", String(32)), Column("format", String(16)), Column("size", Integer),
        Column("unit", String(100)), Column("version", Integer), Column("duplicate_of", ForeignKey("documents.id")),
        Column("extraction", JSON), Column("error", Text),
        UniqueConstraint("unit", "version", name="uq_documents_unit_version"))
    engine = create_engine(url)
    with engine.begin() as conn:
        old.create_all(conn)
        conn.execute(insert(old.tables[SchemaVersion.__tablename__]).values(id=1, version=2))
        for n in (1, 2, 3, 4):
            conn.execute(insert(old.tables["messages"]).values(**{
                **vars(message(f"m{n}", received_at=NOW + dt.timedelta(hours=n))), "recorded_at": NOW,
                "reasons": [], "problems": []}))
        rows = [  # (id, message, version, duplicate_of, error): as the file-counting code numbered them
            (1, 1, 1, None, None), (2, 1, 2, None, None),  # report + appendix in one mail: were 1 and 2
            (3, 2, None, 1, None),  # a resend of the report
            (4, 3, None, 2, None), (5, 3, 3, None, None), (6, 3, None, None, "corrupt"),  # old appendix + new report
            (7, 4, None, None, "corrupt")]  # nothing readable
        for ident, msg, version, duplicate_of, error in rows:
            conn.execute(insert(documents).values(
                id=ident, message_row_id=msg, sha256=f"{duplicate_of or ident:064d}", filename=f"f{ident}", unit="ubnd-van-lam",
                version=version, duplicate_of=duplicate_of, error=error, format="docx", size=1, kind="", content_type=""))
        conn.execute(insert(old.tables[SectionTextRow.__tablename__]).values(
            document_id=5, position=0, key="I", heading="I. Khái quát", level=1, text="Nội dung"))
    engine.dispose()
    try:
        store = Store(tmp_path / "data", url=url)
        try:
            assert store.schema_version == dbmodule.UPGRADES[-1][0]
            assert [(d.id, d.version, d.part, d.duplicate_of) for d in store.documents()] == [
                (1, 1, 1, None), (2, 1, 2, None), (3, None, None, 1),
                (4, 2, 1, 2), (5, 2, 2, None), (6, None, None, None), (7, None, None, None)]
            # (nothing was archived here: only the numbering is checked)
            assert [p for p in store.consistency_check(verify_hashes=False) if "archive" not in p] == []
            with store.transaction() as s:
                assert s.scalar(select(SectionTextRow.document_id)) == 5
            # The new constraint holds: two parts cannot share a number, parts can share a version.
            plan = store.plan_submission("ubnd-van-lam", [sha256_of(b"new report")])
            assert plan.version == 3
            with pytest.raises(IntegrityError):
                store.record(message("m5"), [NewDocument(sha256_of(b"x"), "x", "ubnd-van-lam", 2, None, None, part=2)],
                             [], [], NOW)
        finally:
            store.close()
        reopened = Store(tmp_path / "data", url=url)  # upgraded once: nothing renumbered again
        assert [(d.version, d.part) for d in reopened.documents()][:2] == [(1, 1), (1, 2)]
        reopened.close()
    finally:
        drop()
