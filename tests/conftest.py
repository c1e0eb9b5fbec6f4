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
