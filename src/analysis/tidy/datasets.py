"""Datasets and the fictional sample as the build takes them in: each file read by the ingest layer, checked by the
tidy quality rules, and turned into candidate observations with their findings (one bad row, value or file costs
only itself). ``check_dataset_file`` is the same path for `python -m analysis validate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.limits import FileTimeLimit, time_limit
from analysis.registry.findings import finding
from analysis.tidy.inputs import rel_path, time_limit_finding, unexpected_finding


def unit_info(units: pd.DataFrame) -> pd.DataFrame:
    u = units.set_index("unit_id")
    return pd.DataFrame(
        {
            "unit_name": u["name"],
            "unit_level": u["level"],
            "parent_unit_id": u["parent"],
            "city": u["city"],
            "province": u["province"],
            "is_synthetic": u["synthetic"].astype(bool),
        }
    )


def _dataset_candidates(result, rel: str, source_kind: str, units: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    from analysis.registry.units import UnknownUnitError, resolve_unit

    f = result.facts
    findings: list[dict] = []
    if f.empty:
        return pd.DataFrame(), findings
    keys = f[["unit_name", "parent_name"]].drop_duplicates()
    mapping = {}
    for un, pn in keys.itertuples(index=False):
        try:
            mapping[(un, pn)] = resolve_unit(un, parent=pn if isinstance(pn, str) and pn else None)
        except UnknownUnitError as exc:
            mapping[(un, pn)] = None
            findings.append(finding("unknown_unit", f"{rel}：{exc}", severity="error", source_file=rel))
    unit_ids = [mapping[(u, p)] for u, p in zip(f["unit_name"], f["parent_name"], strict=True)]
    out = pd.DataFrame(
        {
            "unit_id": unit_ids,
            "year": f["year"].to_numpy(),
            "indicator_id": f["indicator_id"].to_numpy(),
            "value": pd.to_numeric(f["value"], errors="coerce").to_numpy(dtype=float),
            "measure": f["measure"].to_numpy(),
            "value_state": f["value_state"].to_numpy(),
            "approx": f["approx"].astype(bool).to_numpy(),
            "scope": f["scope"].to_numpy() if "scope" in f else "year",
            "source_kind": source_kind,
            "source_file": rel,
            "locator": f["locator"].astype(str).to_numpy(),
            "evidence": f["evidence"].astype(str).to_numpy(),
            "fact_id": [f"{rel}:{loc}" for loc in f["locator"].astype(str)],
        }
    )
    claimed = (
        f["is_synthetic"].fillna(False).astype(bool).to_numpy()
        if "is_synthetic" in f.columns
        else np.zeros(len(f), dtype=bool)
    )
    known = out["unit_id"].notna().to_numpy()
    out, claimed = out[known], claimed[known]
    synth = units.set_index("unit_id")["synthetic"]
    if source_kind != "sample" and len(out):
        out, refused = _refuse_fictional_claim(out, claimed, rel, units)
        findings += refused
    if source_kind != "sample":
        is_fake = out["unit_id"].map(synth).fillna(False).astype(bool)
        if is_fake.any() and not is_fake.all():
            # fictional (training/sample) units are never mixed with real ones: a file that holds both keeps its real
            # rows, and the fictional rows are left out — each with its place, so the build exits non-zero
            fake = out[is_fake]
            for (uid, yr), grp in fake.groupby(["unit_id", "year"], sort=False):
                locs = grp["locator"].astype(str)
                findings.append(
                    finding(
                        "synthetic_unit_in_dataset",
                        f"{rel}：虚构单位 {uid} 的数据与真实单位放在同一文件中，未收录（{len(grp)} 个数值）；"
                        "虚构/培训单位的数据请单独放一个文件",
                        severity="error",
                        source_file=rel,
                        locator=locs.iloc[0],
                        unit_id=uid,
                        year=int(yr),
                        detail="; ".join(locs.head(10)),
                    )
                )
            out = out.drop(fake.index)
        out, refused = _refuse_sample_units(out, rel, units)
        findings += refused
    else:
        real = out[~out["unit_id"].map(synth).fillna(False).astype(bool)]
        if len(real):
            findings.append(
                finding(
                    "real_unit_in_sample",
                    f"{rel}：示例（虚构）数据中有 {len(real)} 行属于真实单位，未归入观测值",
                    severity="error",
                    source_file=rel,
                )
            )
            out = out.drop(real.index)
    return out, findings


def _nature_findings(rows: pd.DataFrame, rule: str, why: str, rel: str, units: pd.DataFrame) -> list[dict]:
    names = units.set_index("unit_id")["name"]
    out = []
    for (uid, yr), grp in rows.groupby(["unit_id", "year"], sort=False):
        locs = grp["locator"].astype(str)
        out.append(
            finding(
                rule,
                f"{rel}：{int(yr)} 年 " + why.format(name=names.get(uid, uid)) + f"；{len(grp)} 个数值未收录",
                severity="error",
                source_file=rel,
                locator=locs.iloc[0],
                unit_id=uid,
                year=int(yr),
                detail="; ".join(locs.head(10)),
            )
        )
    return out


def _refuse_fictional_claim(out: pd.DataFrame, claimed: np.ndarray, rel: str, units: pd.DataFrame):
    """Real and fictional never mix (issue 12 item 7): a row marked 数据性质 = 示例数据（模拟） (the file says the row
    is fictional) whose unit is a real one is refused before it can change any value. Returns (kept, findings)."""
    synth = units.set_index("unit_id")["synthetic"]
    bad = pd.Series(np.asarray(claimed, dtype=bool), index=out.index) & ~out["unit_id"].map(synth).fillna(False).astype(
        bool
    )
    if not bad.any():
        return out, []
    why = "标为“示例数据（模拟）”（虚构数据），但 {name} 是真实单位；虚构数据不能改动真实单位的数值"
    return out[~bad], _nature_findings(out[bad], "synthetic_claim_for_real_unit", why, rel, units)


def _refuse_sample_units(out: pd.DataFrame, rel: str, units: pd.DataFrame):
    """Rows for a unit of the built-in fictional 示例市 are refused: its values come only from the generated sample
    panel (``analysis.ingest.sample``), so a file in data/raw can never override them by source precedence."""
    from analysis.registry.units import sample_units

    bad = out["unit_id"].isin(set(sample_units()["unit_id"]))
    if not bad.any():
        return out, []
    why = (
        "{name} 属于程序自带的虚构示例市，其数值只来自内置示例数据，不能由 data/raw 中的文件改动"
        "（培训用的虚构单位请在 config/units.yaml 中另建并标 synthetic: true）"
    )
    return out[~bad], _nature_findings(out[bad], "sample_unit_in_dataset", why, rel, units)


def check_dataset_file(path: Path, raw_dir: Path, indicators, units) -> tuple[pd.DataFrame, list[dict]]:
    """What the build keeps from one dataset file (candidate rows) and every finding about it.

    The one code path for `validate` and `build`: what validate accepts, build keeps; what build leaves out is an
    error finding with file and place.
    """
    from analysis.ingest.datasets import DatasetError, read_dataset
    from analysis.tidy.quality import check_dataset

    rel = rel_path(path, raw_dir)
    try:
        with time_limit(rel):
            res = check_dataset(read_dataset(path, indicators=indicators, units=units), indicators)
        findings = res.findings.copy().to_dict("records")
        for f in findings:  # the same file name in every finding (data/raw/… relative, as the candidates carry it)
            if f.get("source_file") in (str(path), "", None):
                f["source_file"] = rel
        c, f2 = _dataset_candidates(res, rel, "dataset", units)
    except DatasetError as exc:
        return pd.DataFrame(), [finding("unreadable_dataset", str(exc), severity="error", source_file=rel)]
    except FileTimeLimit as exc:
        return pd.DataFrame(), [time_limit_finding(rel, exc)]
    except Exception as exc:  # noqa: BLE001 - one bad file costs only itself
        return pd.DataFrame(), [unexpected_finding(rel, exc)]
    return c, findings + f2


def load_datasets(dataset_paths, raw_dir, indicators, units):
    cands, findings = [], []
    for path in dataset_paths:
        c, f = check_dataset_file(path, raw_dir, indicators, units)
        cands.append(c)
        findings.extend(f)
    return cands, findings


def load_sample(indicators, units):
    from analysis.ingest.sample import SAMPLE_SOURCE, sample_facts
    from analysis.tidy.quality import check_dataset

    res = check_dataset(sample_facts(indicators=indicators), indicators)
    c, f2 = _dataset_candidates(res, SAMPLE_SOURCE, "sample", units)
    return [c], res.findings.to_dict("records") + f2
