"""Shared test fixtures: repository locations and the shared seed (read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED = REPO.parent / "shared"
SEED_TXT = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def seed_text() -> str:
    return SEED_TXT.read_text(encoding="utf-8")


# Count anchors by unit for the metric tests that exercise scoring of counts. The shipped config/scoring.yaml has none
# (raw counts are not scored unless an anchor is fixed per indicator); these are the round anchors the tests assume.
TEST_COUNT_GOALS = {
    "件": 50,
    "项": 20,
    "次": 20,
    "场": 10,
    "期": 10,
    "人": 100,
    "名": 100,
    "人次": 1000,
    "家": 20,
    "个": 20,
    "条": 20,
    "份": 50,
    "万元": 100,
}


def config_with_count_goals() -> dict:
    from analysis.metrics import load_config

    cfg = load_config()
    cfg["normalization"]["count_goal_by_unit"] = dict(TEST_COUNT_GOALS)
    return cfg
