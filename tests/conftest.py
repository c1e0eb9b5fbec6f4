"""Shared test settings. Fixtures that start real servers live in their own modules
(tests/dovecot.py, tests/smtp_sink.py) and are imported by the tests that use them."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = FIXTURES / "corpus"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def campaign():
    from intake_bot.config import load_campaign

    return load_campaign(REPO / "config" / "hung-yen-2024.toml")
