"""Shared test fixtures: repository locations and the shared seed (read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED_TXT = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def seed_text() -> str:
    return SEED_TXT.read_text(encoding="utf-8")
