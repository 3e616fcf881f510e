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


# ---------------------------------------------------------------- the registry, shared by every test
#
# The shipped registry and units are read once per test process (the loaders cache them too: this is the same frame
# the code under test sees, so a test must copy it before changing it). Inline test registries are built from
# ``indicator`` entries and checked by validate_indicators like the shipped file.

ITEM = "依法行政制度体系完善"


@pytest.fixture(scope="session")
def indicators():
    """The shipped indicator registry (src/analysis/registry/indicators.yaml), indexed by id."""
    from analysis.registry import load_indicators

    return load_indicators()


@pytest.fixture(scope="session")
def units():
    """The units of config/units.yaml with the fictional sample city's units."""
    from analysis.registry.units import load_units

    return load_units(include_sample=True, path=REPO / "config" / "units.yaml")


def indicator(iid: str, unit: str, direction: str = "neutral", area: str = "p2_normative_docs", **fields) -> dict:
    """One entry of an inline test registry: the fields validate_indicators requires, the id as name and keyword
    unless ``fields`` give them (name_zh=…, keywords=[…]), then the other fields (kind, role, target …)."""
    entry = {
        "id": iid,
        "name_zh": iid,
        "name_en": iid,
        "measure": unit,
        "area": area,
        "direction": direction,
        "framework_item": ITEM,
        "keywords": [iid],
    }
    entry.update(fields)
    return entry


def unit_table(rows: list[tuple[str, str, str, str]], city: str = "某市", province: str = "某省"):
    """A tiny inline units table like load_units() gives: (unit_id, name, level, parent) rows in one real city."""
    import pandas as pd

    return pd.DataFrame(
        {
            "unit_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "level": [r[2] for r in rows],
            "parent": [r[3] for r in rows],
            "city": city,
            "province": province,
            "synthetic": False,
            "aliases": "",
        }
    )


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
    cfg["normalization"]["count_goal_by_measure"] = dict(TEST_COUNT_GOALS)
    return cfg
