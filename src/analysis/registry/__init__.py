"""The indicator and unit registries: data files (indicators.yaml, units.yaml) and their validating loaders.

A malformed registry is an error that names the file and the entry; it is never half-loaded.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.schema import AREAS, DIRECTIONS

INDICATORS_FILE = paths.REGISTRY_DIR / "indicators.yaml"
UNITS_FILE = paths.REGISTRY_DIR / "units.yaml"

FRAMEWORK_ITEMS = (
    "政府职能依法全面履行",
    "依法行政制度体系完善",
    "重大行政决策科学民主合法",
    "行政执法严格规范公正文明",
    "突发事件应对依法有力有序",
    "社会矛盾纠纷依法有效预防化解",
    "行政权力制约监督科学有效",
    "法治政府建设科技保障",
    "政府工作人员法治思维和依法行政能力",
    "法治政府建设组织领导落实到位",
)

INDICATOR_FIELDS = ("id", "name_zh", "name_en", "unit", "area", "direction", "framework_item", "keywords")


class RegistryError(ValueError):
    """The registry file is malformed; the message names the file and the entry."""


def _fail(path: Path, where: str, msg: str) -> RegistryError:
    return RegistryError(f"{path}: {where}: {msg}")


def validate_indicators(entries: list[dict], path: Path = INDICATORS_FILE) -> pd.DataFrame:
    """Check every entry and return the registry as a DataFrame indexed by id."""
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "top level", "expected a non-empty list under 'indicators'")
    seen: set[str] = set()
    rows = []
    for i, e in enumerate(entries):
        where = f"entry {i + 1} ({e.get('id', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            raise _fail(path, where, "each indicator must be a mapping")
        missing = [f for f in INDICATOR_FIELDS if f not in e]
        if missing:
            raise _fail(path, where, f"missing field(s) {', '.join(missing)}")
        if e["id"] in seen:
            raise _fail(path, where, "duplicate id")
        seen.add(e["id"])
        if e["area"] not in AREAS:
            raise _fail(path, where, f"area {e['area']!r} not one of {AREAS}")
        if e["direction"] not in DIRECTIONS:
            raise _fail(path, where, f"direction {e['direction']!r} not one of {DIRECTIONS}")
        if e["framework_item"] not in FRAMEWORK_ITEMS:
            raise _fail(path, where, f"framework_item {e['framework_item']!r} is not a first-level item of the 示范指标体系")
        if not isinstance(e["keywords"], list):
            raise _fail(path, where, "keywords must be a list")
        rows.append(e)
    df = pd.DataFrame(rows).set_index("id", drop=False)
    for ref_field in ("numerator", "denominator", "total_of_parent", "at_most"):
        if ref_field in df.columns:
            for iid, ref in df[ref_field].dropna().items():
                if ref not in seen:
                    raise _fail(path, f"entry {iid}", f"{ref_field} refers to unknown indicator {ref!r}")
    if "parts" in df.columns:
        for iid, parts in df["parts"].dropna().items():
            for p in parts:
                if p not in seen:
                    raise _fail(path, f"entry {iid}", f"parts refers to unknown indicator {p!r}")
    return df


@functools.cache
def load_indicators(path: str | None = None) -> pd.DataFrame:
    """The indicator registry as a DataFrame indexed by indicator id (cached per path)."""
    p = Path(path) if path else INDICATORS_FILE
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RegistryError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or "indicators" not in doc:
        raise RegistryError(f"{p}: expected a mapping with an 'indicators' list")
    return validate_indicators(doc["indicators"], p)
