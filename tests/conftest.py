"""Shared test settings. Fixtures that start real servers live in their own modules
(tests/dovecot.py, tests/smtp_sink.py) and are imported by the tests that use them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = FIXTURES / "corpus"
# The project's shared inputs (../shared next to the repository); INTAKE_BOT_SHARED names them
# from a checkout elsewhere (a git worktree).
SHARED = Path(os.environ.get("INTAKE_BOT_SHARED") or REPO.parent / "shared")
HUNG_YEN = REPO / "config" / "hung-yen-2024.toml"


def hung_yen_appendix():
    """The appendix schema of the 2024 campaign file, for tests that read tables without a campaign."""
    from intake_bot.config import load_campaign

    return load_campaign(HUNG_YEN).appendix


@pytest.fixture(scope="session")
def campaign():
    from intake_bot.config import load_campaign

    return load_campaign(REPO / "config" / "hung-yen-2024.toml")


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh SQLite store in a temporary data dir (never the operator's INTAKE_BOT_DATABASE_URL)."""
    from intake_bot.store import db

    monkeypatch.delenv(db.DATABASE_URL_ENV, raising=False)
    s = db.Store(tmp_path / "data")
    yield s
    s.close()


DEMO_EVENING = "2024-05-14T17:00:00+07:00"  # the demo's clock: every sample mail is in


def demo_first_step(data: Path, now: str = DEMO_EVENING) -> Path:
    """What `intake-bot demo` leaves before the secretary's reply to its digest: the bundled
    sample mail through one pass, then the reminders of the slot (SQLite unless
    INTAKE_BOT_DATABASE_URL says otherwise). For tests that need the sample state without her
    commands."""
    from intake_bot.cli import main
    from intake_bot.demo import fill_maildir

    data.mkdir(parents=True)
    fill_maildir(data / "Maildir")
    common = ["--config", str(REPO / "config" / "hung-yen-2024.toml"), "--data-dir", str(data), "--now", now,
              "--mailbox", f"maildir:{data / 'Maildir'}", "--smtp", "file:outbox"]
    assert main([*common, "poll", "--once"]) == 0
    assert main([*common, "remind"]) == 0
    return data
