"""The unit registry: the user's units (config/units.yaml) plus the fictional 示例市 sample, and the name mapping.

Units are user data: an analyst adds the districts, cities, streets and departments of their own city to
config/units.yaml (or the file ANALYSIS_UNITS names) without touching the package. The loader validates the file and
fails with a Chinese message naming the file and the entry: missing fields, duplicate ids, duplicate names under one
parent, an alias that clashes with another unit's name or alias, an unknown parent (city), a level that does not fit
its parent, a fictional unit under a real parent (or the reverse).

Names resolve through one mapping that fails on unknown names (with a "did you mean" from rapidfuzz): a report or
dataset that names a unit the project does not know is reported, never filed as a new unit.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis.core import paths

UNIT_COLUMNS = ["unit_id", "name", "level", "parent", "city", "province", "synthetic", "aliases"]
LEVELS = ("city", "district", "street", "department")
PARENT_LEVELS = {"city": (None,), "district": ("city",), "street": ("district",), "department": ("district", "city")}
LEVEL_ZH = {"city": "市", "district": "区县", "street": "街道", "department": "部门"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def units_file() -> Path:
    return paths.units_file()


# The fictional 示例市 sample's units are registry data (never real places), read by `sample_units`.
SAMPLE_UNITS_FILE = Path(__file__).with_name("sample_units.yaml")


# The default location, for messages and for callers that print where units live.
UNITS_FILE = paths.units_file()


class UnknownUnitError(KeyError):
    """A unit name that is neither a registered name nor an alias."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnitsFileError(ValueError):
    """The units file is malformed; the message names the file and the entry."""


def _fail(path: Path, where: str, msg: str) -> UnitsFileError:
    return UnitsFileError(f"{path}: {where}: {msg}")


def _entries(path: Path) -> list:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise UnitsFileError(f"{path}: 单位名录文件不存在（复制 config/units.yaml 的格式新建一个）") from exc
    except yaml.YAMLError as exc:
        raise UnitsFileError(f"{path}: 不是有效的 YAML：{exc}") from exc
    if not isinstance(doc, dict):
        raise UnitsFileError(f"{path}: 顶层应为映射，含 units: 列表")
    entries = doc.get("units", doc.get("real", []))  # `real:` is the older key
    if not isinstance(entries, list):
        raise UnitsFileError(f"{path}: units: 应为列表")
    return entries


def validate_units(entries: list, path: Path) -> pd.DataFrame:
    """Check every entry of a units file and return the units table (columns UNIT_COLUMNS)."""
    rows, by_id = [], {}
    for i, e in enumerate(entries):
        where = f"第 {i + 1} 条"
        if not isinstance(e, dict):
            raise _fail(path, where, "每个单位应为映射 {id: …, name: …, level: …}")
        where = f"第 {i + 1} 条（{e.get('id', '?')}）"
        for f in ("id", "name", "level"):
            if f not in e or e[f] in (None, ""):
                raise _fail(path, where, f"缺少字段 {f}")
        uid, name = str(e["id"]), str(e["name"]).strip()
        if not _ID_RE.match(uid):
            raise _fail(path, where, f"id {uid!r} 只能用小写英文字母、数字、连字符和下划线")
        if e["level"] not in LEVELS:
            raise _fail(path, where, f"level {e['level']!r} 应为 {' / '.join(LEVELS)} 之一")
        if uid in by_id:
            raise _fail(path, where, f"id {uid!r} 重复（已用于 {by_id[uid]['name']}）")
        aliases = e.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise _fail(path, where, "aliases 应为非空字符串的列表")
        synthetic = e.get("synthetic", False)
        if not isinstance(synthetic, bool):
            raise _fail(path, where, f"synthetic 应为 true 或 false，不是 {synthetic!r}")
        row = {
            "unit_id": uid,
            "name": name,
            "level": e["level"],
            "parent": e.get("parent") or None,
            "province": e.get("province"),
            "synthetic": synthetic,
            "aliases": [a.strip() for a in aliases],
            "_where": where,
        }
        by_id[uid] = row
        rows.append(row)
    for r in rows:
        where, p = r["_where"], r["parent"]
        if p is not None and p not in by_id:
            close = suggest(str(p), list(by_id))
            hint = f"；您是否要找：{'、'.join(close)}" if close else ""
            raise _fail(path, where, f"上级单位 {p!r} 不在名录中（未知的市或区县）{hint}")
        plevel = by_id[p]["level"] if p else None
        if plevel not in PARENT_LEVELS[r["level"]]:
            want = "、".join(LEVEL_ZH[x] if x else "无（parent: null）" for x in PARENT_LEVELS[r["level"]])
            got = LEVEL_ZH[plevel] if plevel else "无"
            raise _fail(path, where, f"{LEVEL_ZH[r['level']]}的上级应为{want}，这里是{got}")
        if p and by_id[p]["synthetic"] != r["synthetic"]:
            raise _fail(path, where, "虚构（synthetic）单位与真实单位不能互为上下级：培训/演示单位要自成一个虚构的市")
        if not r["province"]:
            anc = by_id.get(p) if p else None
            while anc is not None and not anc["province"]:
                anc = by_id.get(anc["parent"]) if anc["parent"] else None
            if anc is None:
                raise _fail(path, where, "缺少字段 province（市和区县必须写省份）")
            r["province"] = anc["province"]
    _check_names(rows, path)
    df = pd.DataFrame(rows).drop(columns="_where") if rows else pd.DataFrame(columns=UNIT_COLUMNS[:-1])
    df["city"] = [_city_of(r, by_id) for r in rows]
    return df[UNIT_COLUMNS] if rows else pd.DataFrame(columns=UNIT_COLUMNS)


def _city_of(r: dict, by_id: dict) -> str | None:
    while r is not None and r["level"] != "city":
        r = by_id.get(r["parent"]) if r["parent"] else None
    return r["name"] if r is not None else None


def _check_names(rows: list[dict], path: Path) -> None:
    """Duplicate names under one parent; an alias that is another unit's name or alias (under the same parent)."""
    seen: dict[tuple, dict] = {}
    for r in rows:
        for n, kind in [(r["name"], "名称"), *((a, "别名") for a in r["aliases"])]:
            key = (r["parent"], n)
            other = seen.get(key)
            if other is not None and other["unit_id"] != r["unit_id"]:
                what = "同一上级下名称重复" if kind == "名称" and n == other["name"] else f"{kind} {n!r} 与另一单位冲突"
                raise _fail(path, r.get("_where", r["unit_id"]), f"{what}：{n!r} 已是 {other['unit_id']} 的名称或别名")
            seen[key] = r
    # an alias that names a unit elsewhere would make a report's district ambiguous: refuse it everywhere
    names = {}
    for r in rows:
        names.setdefault(r["name"], r)
    for r in rows:
        for a in r["aliases"]:
            other = names.get(a)
            if other is not None and other["unit_id"] != r["unit_id"]:
                raise _fail(path, r.get("_where", r["unit_id"]), f"别名 {a!r} 与单位 {other['unit_id']} 的名称冲突")


@functools.cache
def _sample_doc() -> dict:
    return yaml.safe_load(SAMPLE_UNITS_FILE.read_text(encoding="utf-8"))


def sample_units() -> pd.DataFrame:
    """The fictional units (sample_units.yaml): the city, six districts, and streets/departments of 示例一区 and 示例二区."""
    doc = _sample_doc()
    rows = [(u["unit_id"], u["name"], u["level"], u["parent"]) for u in doc["units"]]
    df = pd.DataFrame(rows, columns=["unit_id", "name", "level", "parent"])
    df["city"] = doc["city"]
    df["province"] = doc["province"]
    df["synthetic"] = True
    return df


@functools.cache
def _load(include_sample: bool, path_str: str) -> pd.DataFrame:
    path = Path(path_str)
    frames = [validate_units(_entries(path), path)]
    if include_sample:
        s = sample_units()
        if "aliases" not in s.columns:
            s["aliases"] = [[] for _ in range(len(s))]
        frames.append(s[UNIT_COLUMNS])
    df = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]
    dup = df["unit_id"][df["unit_id"].duplicated()]
    if len(dup):
        raise UnitsFileError(f"{path}: 单位 id 与示例市的虚构单位重复：{sorted(dup)}")
    if include_sample:
        clash = set(df.loc[~df["synthetic"], "name"]) & set(df.loc[df["synthetic"], "name"])
        if clash:
            raise UnitsFileError(f"{path}: 名称与示例市的虚构单位相同：{sorted(clash)}")
    df["synthetic"] = df["synthetic"].astype(bool)
    return df


def load_units(include_sample: bool = True, path: str | Path | None = None) -> pd.DataFrame:
    """All known units: the user's from config/units.yaml, and (by default) the fictional sample city's units."""
    return _load(include_sample, str(Path(path).resolve() if path else units_file()))


load_units.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def alias_list(value: object) -> list[str]:
    """A unit's aliases as a list: the registry keeps a list, the processed units table joins them with ','."""
    if value is None or isinstance(value, float):
        return []
    if isinstance(value, str):
        return [a.strip() for a in value.split(",") if a.strip()]
    return [str(a) for a in value]


def name_index(units: pd.DataFrame) -> dict[str, list[str]]:
    """Every name and alias of a units table → the ids of the units that carry it, in table order."""
    aliases = units["aliases"] if "aliases" in units.columns else [None] * len(units)
    idx: dict[str, list[str]] = {}
    for uid, name, al in zip(units["unit_id"], units["name"], aliases, strict=True):
        for n in [str(name), *alias_list(al)]:
            ids = idx.setdefault(n, [])
            if uid not in ids:
                ids.append(uid)
    return idx


def match_unit(
    units: pd.DataFrame, name: str, parent: str | None = None, index: dict[str, list[str]] | None = None
) -> list[str]:
    """Ids of the units whose name or alias is ``name``; with several, ``parent`` (name or id) narrows them.

    The one place a unit name is matched; ``resolve_unit`` and the chart views build on it. ``index`` is
    ``name_index(units)`` when the caller keeps it.
    """
    idx = name_index(units) if index is None else index
    ids = idx.get((name or "").strip(), [])
    if parent and len(ids) > 1:
        parents = dict(zip(units["unit_id"], units["parent"], strict=True))
        parent_id = parent if parent in parents else (idx.get(parent) or [None])[0]
        ids = [i for i in ids if parents[i] == parent_id]
    return ids


def _name_index(include_sample: bool = True) -> dict[str, list[str]]:
    return _index(include_sample, str(units_file()))


@functools.cache
def _index(include_sample: bool, path_str: str) -> dict[str, list[str]]:
    return name_index(load_units(include_sample, path_str))


def suggest(name: str, choices, limit: int = 3, cutoff: float = 50) -> list[str]:
    """Closest choices to a mistyped name ("did you mean"), best first; [] when nothing is close."""
    from rapidfuzz import fuzz, process, utils

    choices = list(dict.fromkeys(str(c) for c in choices))
    if not name or not choices:
        return []
    got = process.extract(name, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit)
    return [c for c, score, _ in got if score >= cutoff]


def unit_suggestions(name: str, include_sample: bool = True) -> list[str]:
    """Registered names closest to ``name`` (aliases map back to their unit's name)."""
    units = load_units(include_sample)
    by_alias = {a: n for n, al in zip(units["name"], units["aliases"], strict=True) for a in [n, *al]}
    return list(dict.fromkeys(by_alias[c] for c in suggest(name, by_alias)))


def resolve_unit(name: str, parent: str | None = None, include_sample: bool = True) -> str:
    """Map a unit name (or alias) to its id; ``parent`` (name or id) disambiguates homonyms.

    Raises UnknownUnitError for a name the registry does not know, or that is ambiguous without a parent.
    """
    name = (name or "").strip()
    ids = match_unit(load_units(include_sample), name, parent, index=_name_index(include_sample))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        close = unit_suggestions(name, include_sample)
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise UnknownUnitError(
            f"未知单位 {name!r}（unknown unit {name!r}）{hint}。如是真实单位，请加入 {units_file().name}"
            f"（{units_file()}），或作为已有单位的别名"
        )
    raise UnknownUnitError(f"单位名称 {name!r} 有歧义（{'、'.join(ids)}）：请写明上级单位")
