"""The indicator and unit registries: data files (indicators.yaml here; the units in config/units.yaml, user data)
and their validating loaders.

A malformed registry is an error that names the file and the entry; it is never half-loaded.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.schema import AREAS, DIRECTIONS

# libyaml's safe loader when PyYAML was built with it (5x faster on indicators.yaml), else the pure-Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

INDICATORS_FILE = paths.REGISTRY_DIR / "indicators.yaml"
UNITS_FILE = paths.units_file()  # default location; the loader (registry/units.py) reads paths.units_file()

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


KINDS = ("count", "rate", "money", "amount")
# What an indicator says about an area (issue 9): outcome = a result the area is judged by (rates: 报备率, 败诉率 …);
# activity = something held or done (trainings, campaigns, inspections), scored only as a minority share;
# volume = a neutral count of workload or stock (documents issued, cases, officers), shown as context, never scored.
ROLES = ("outcome", "activity", "volume")
REF_FIELDS = ("numerator", "denominator", "base", "total_of_parent", "at_most")
LIST_FIELDS = ("keywords", "nouns", "zero_words", "parts", "measures")
# Mapping rules (analysis.extract.facts): what an indicator accepts/refuses, as data. accept.context: the sentence (up
# to the end of the number's clause) must hold one of these words; refuse.words: none of these in the number's clause
# (up to its counted noun); refuse.nouns: the counted noun after the measure word must not start with one;
# refuse.predicates: none of these verbs in the clause before the number; refuse.context: none in the sentence;
# accept.predicates: the number's clause must hold one of these verbs (as a word: 发放 for handed-out materials).
RULE_FIELDS = {"accept": ("context", "predicates"), "refuse": ("words", "nouns", "predicates", "context")}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_entry(e: dict, path: Path, where: str, require_role: bool = False) -> None:
    """Field-level checks of one indicator entry (references are checked once all ids are known)."""
    missing = [f for f in INDICATOR_FIELDS if f not in e]
    if missing:
        raise _fail(path, where, f"missing field(s) {', '.join(missing)}")
    if not isinstance(e["id"], str) or not _ID_RE.match(e["id"]):
        raise _fail(path, where, f"id {e['id']!r} must be lower-case ascii (a-z, 0-9, _)")
    for f in ("name_zh", "name_en", "unit"):
        if not isinstance(e[f], str) or not e[f].strip():
            raise _fail(path, where, f"{f} must be a non-empty string")
    if e["area"] not in AREAS:
        raise _fail(path, where, f"area {e['area']!r} not one of {AREAS}")
    if e["direction"] not in DIRECTIONS:
        raise _fail(path, where, f"direction {e['direction']!r} not one of {DIRECTIONS}")
    if e["framework_item"] not in FRAMEWORK_ITEMS:
        raise _fail(
            path, where, f"framework_item {e['framework_item']!r} is not a first-level item of the 示范指标体系"
        )
    if "caliber_zh" in e and (not isinstance(e["caliber_zh"], str) or not e["caliber_zh"].strip()):
        raise _fail(path, where, "caliber_zh (口径) must be a non-empty one-line string")
    if "caliber_zh" in e and "\n" in e["caliber_zh"].strip():
        raise _fail(path, where, "caliber_zh (口径) must fit on one line")
    for f in LIST_FIELDS:
        if f in e and (not isinstance(e[f], list) or not all(isinstance(x, str) and x.strip() for x in e[f])):
            raise _fail(path, where, f"{f} must be a list of non-empty strings")
    role = e.get("role")
    if role is None and require_role and e["area"] != "context":
        raise _fail(path, where, f"missing field role (one of {ROLES}; line after direction:) for area {e['area']}")
    if role is not None and role not in ROLES:
        raise _fail(path, where, f"role {role!r} not one of {ROLES}")
    if role == "outcome" and e["direction"] == "neutral" and e.get("kind") != "rate" and e["unit"] != "%":
        raise _fail(path, where, "an outcome count needs a direction (higher_better or lower_better)")
    for f, allowed in RULE_FIELDS.items():
        if f not in e:
            continue
        if not isinstance(e[f], dict) or not e[f]:
            raise _fail(path, where, f"{f} must be a mapping with sub-keys {', '.join(allowed)}")
        for sub, vals in e[f].items():
            if sub not in allowed:
                raise _fail(path, where, f"{f}.{sub} unknown (expected one of {', '.join(allowed)})")
            if not isinstance(vals, list) or not vals or not all(isinstance(x, str) and x.strip() for x in vals):
                raise _fail(path, where, f"{f}.{sub} must be a non-empty list of non-empty strings")
    kind = e.get("kind")
    if kind is not None and kind not in KINDS:
        raise _fail(path, where, f"kind {kind!r} not one of {KINDS}")
    if kind == "rate" and e["unit"] != "%":
        raise _fail(path, where, f"a rate must have unit %, not {e['unit']!r}")
    if ("numerator" in e) != ("denominator" in e):
        raise _fail(path, where, "numerator and denominator go together")
    for f in ("target", "min_denominator"):
        if f in e and (isinstance(e[f], bool) or not isinstance(e[f], int | float)):
            raise _fail(path, where, f"{f} must be a number")
    if "target" in e and e["unit"] == "%" and not 0 <= e["target"] <= 100:
        raise _fail(path, where, f"target {e['target']} of a rate must be within 0–100")
    for f in REF_FIELDS:
        if f in e and (not isinstance(e[f], str) or e[f] == e["id"]):
            raise _fail(path, where, f"{f} must name another indicator id")


def validate_indicators(entries: list[dict], path: Path = INDICATORS_FILE, require_role: bool = False) -> pd.DataFrame:
    """Check every entry and return the registry as a DataFrame indexed by id. The registry file must give every
    indicator outside area context a role (``require_role``); an inline test registry may leave roles out (the
    metrics then score without roles)."""
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "top level", "expected a non-empty list under 'indicators'")
    seen: set[str] = set()
    rows = []
    for i, e in enumerate(entries):
        where = f"entry {i + 1} ({e.get('id', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            raise _fail(path, where, "each indicator must be a mapping")
        _check_entry(e, path, where, require_role)
        if e["id"] in seen:
            raise _fail(path, where, "duplicate id")
        seen.add(e["id"])
        rows.append(e)
    by_id = {e["id"]: e for e in rows}
    for e in rows:
        where = f"entry {e['id']}"
        for f in REF_FIELDS:
            if f in e and e[f] not in seen:
                raise _fail(path, where, f"{f} refers to unknown indicator {e[f]!r}")
        for p in e.get("parts", []):
            if p not in seen:
                raise _fail(path, where, f"parts refers to unknown indicator {p!r}")
            if by_id[p]["unit"] != e["unit"]:
                raise _fail(path, where, f"part {p!r} has unit {by_id[p]['unit']!r}, the total {e['unit']!r}")
        if "at_most" in e and by_id[e["at_most"]]["unit"] != e["unit"]:
            raise _fail(path, where, f"at_most {e['at_most']!r} has a different unit")
    return pd.DataFrame(rows).set_index("id", drop=False)


@functools.cache
def load_indicators(path: str | None = None) -> pd.DataFrame:
    """The indicator registry as a DataFrame indexed by indicator id (cached per path)."""
    p = Path(path) if path else INDICATORS_FILE
    try:
        doc = yaml.load(p.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RegistryError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or "indicators" not in doc:
        raise RegistryError(f"{p}: expected a mapping with an 'indicators' list")
    df = validate_indicators(doc["indicators"], p, require_role=True)
    df.attrs["families"] = validate_families(doc.get("families", {}), df, p)
    return df


def validate_families(families: object, indicators: pd.DataFrame, path: Path = INDICATORS_FILE) -> dict[str, list]:
    """The registry's ``families`` section: family prefix → words naming the family in context (see indicators.yaml).
    Every prefix must be the family of at least one indicator."""
    if families is None:
        return {}
    if not isinstance(families, dict):
        raise _fail(path, "families", "must be a mapping: family prefix → list of words")
    known = {str(i).split("_", 1)[0] for i in indicators.index}
    out: dict[str, list] = {}
    for fam, words in families.items():
        if fam not in known:
            raise _fail(path, f"families.{fam}", f"no indicator id starts with {fam}_")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise _fail(path, f"families.{fam}", "must be a non-empty list of non-empty strings")
        out[fam] = list(words)
    return out
