"""The unit registry: real districts (units.yaml) plus the fictional 示例市 sample, and the name mapping.

Names resolve through one mapping that fails on unknown names: a report or dataset that names a unit the project does
not know is reported, never filed as a new unit.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths

UNITS_FILE = paths.REGISTRY_DIR / "units.yaml"
UNIT_COLUMNS = ["unit_id", "name", "level", "parent", "city", "province", "synthetic", "aliases"]
LEVELS = ("city", "district", "street", "department")


class UnknownUnitError(KeyError):
    """A unit name that is neither a registered name nor an alias."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def _read_real(path: Path) -> pd.DataFrame:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = []
    for i, e in enumerate(doc.get("real", [])):
        for f in ("id", "name", "level", "province"):
            if f not in e:
                raise ValueError(f"{path}: entry {i + 1}: missing field {f!r}")
        if e["level"] not in LEVELS:
            raise ValueError(f"{path}: entry {i + 1} ({e['id']}): level {e['level']!r} not one of {LEVELS}")
        rows.append(
            {
                "unit_id": e["id"],
                "name": e["name"],
                "level": e["level"],
                "parent": e.get("parent"),
                "province": e["province"],
                "synthetic": bool(e.get("synthetic", False)),
                "aliases": list(e.get("aliases") or []),
            }
        )
    df = pd.DataFrame(rows, columns=[c for c in UNIT_COLUMNS if c != "city"])
    names = df.set_index("unit_id")["name"]
    df["city"] = [
        n if lvl == "city" else names.get(p) for n, lvl, p in zip(df["name"], df["level"], df["parent"], strict=True)
    ]
    return df[UNIT_COLUMNS]


@functools.cache
def load_units(include_sample: bool = True) -> pd.DataFrame:
    """All known units: real ones from units.yaml, and (by default) the fictional sample city's units."""
    frames = [_read_real(UNITS_FILE)]
    if include_sample:
        from analysis.sample import sample_units

        s = sample_units().copy()
        s = s.rename(columns={"name": "name"})
        if "aliases" not in s.columns:
            s["aliases"] = [[] for _ in range(len(s))]
        frames.append(s[UNIT_COLUMNS])
    df = pd.concat(frames, ignore_index=True)
    dup = df["unit_id"][df["unit_id"].duplicated()]
    if len(dup):
        raise ValueError(f"{UNITS_FILE}: duplicate unit ids {sorted(dup)}")
    return df


@functools.cache
def _name_index(include_sample: bool = True) -> dict[str, list[str]]:
    idx: dict[str, list[str]] = {}
    for row in load_units(include_sample).itertuples(index=False):
        for n in [row.name, *row.aliases]:
            idx.setdefault(n, []).append(row.unit_id)
    return idx


def resolve_unit(name: str, parent: str | None = None, include_sample: bool = True) -> str:
    """Map a unit name (or alias) to its id; ``parent`` (name or id) disambiguates homonyms.

    Raises UnknownUnitError for a name the registry does not know, or that is ambiguous without a parent.
    """
    name = (name or "").strip()
    ids = _name_index(include_sample).get(name, [])
    if parent and len(ids) > 1:
        units = load_units(include_sample).set_index("unit_id")
        parent_id = parent if parent in units.index else (_name_index(include_sample).get(parent) or [None])[0]
        ids = [i for i in ids if units.at[i, "parent"] == parent_id]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise UnknownUnitError(
            f"unknown unit {name!r}: add it to {UNITS_FILE.name} (or as an alias) if it is a real unit"
        )
    raise UnknownUnitError(f"unit name {name!r} is ambiguous ({', '.join(ids)}): give its parent unit")
