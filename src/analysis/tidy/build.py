"""Build: everything in data/raw (+ the fictional sample panel) → validated tidy tables in data/processed.

Load:    reports (data/raw/reports/**, with .source.yaml sidecars; analysis.tidy.reports), datasets
         (data/raw/datasets/*.xlsx|csv), the sample; which files are inputs: analysis.tidy.inputs.
Process: extract facts → resolve units → candidate observations → corrections ledger → precedence (one value per unit,
         year and indicator; conflicts kept and listed; analysis.tidy.precedence) → explicit not-reported rows →
         quality rules → derived tables. The derived tables (metrics/*) come from the layer above:
         analysis.metrics.pipeline.build passes them in as ``derive``, so the tidy layer never imports metrics and
         they are still written into the same version folder.
Save:    every table and the build manifest written into a new version folder (data/processed/versions/<id>/), then
         the ``current`` link switched to it in one step, so a build killed at any moment leaves the previous
         complete set or the new one, never a mix (analysis.tidy.output, analysis.core.io.new_version). data/raw is
         hashed before and after: a build that changed a raw file fails. The whole build holds the pipeline lock.

Problems with one input never stop the build: they become findings (with file and place) and the build goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import __version__
from analysis.core import paths
from analysis.core.io import clean_leftovers, command_lock, ensure_writable, sha256_file
from analysis.registry.findings import finding
from analysis.registry.schema import CORRECTION_COLUMNS, FACT_COLUMNS, FINDING_COLUMNS, OBSERVATION_COLUMNS, UNMAPPED
from analysis.registry.vocabulary import load_vocabulary
from analysis.tidy.datasets import check_dataset_file, load_datasets, load_sample, unit_info
from analysis.tidy.inputs import DATASET_SUFFIXES, UNREADABLE_SUFFIXES, discover, hash_tree
from analysis.tidy.output import write_outputs
from analysis.tidy.precedence import DEFAULT_PRECEDENCE, SCOPE_ORDER, SOURCE_KIND_ZH, choose, complete_grid
from analysis.tidy.reports import NON_COMPARABLE_SCOPES, load_reports

# the build's parts stay importable from here (callers use analysis.tidy.build)
__all__ = [
    "DATASET_SUFFIXES",
    "DEFAULT_PRECEDENCE",
    "NON_COMPARABLE_SCOPES",
    "SCOPE_ORDER",
    "SOURCE_KIND_ZH",
    "UNREADABLE_SUFFIXES",
    "BuildResult",
    "build",
    "check_dataset_file",
    "choose",
    "complete_grid",
    "discover",
    "ensure_writable",
    "hash_tree",
    "load_datasets",
    "load_reports",
    "load_sample",
    "sample_line",
    "write_outputs",
]


@dataclasses.dataclass
class BuildResult:
    processed_dir: Path
    counts: dict
    findings_by_severity: dict
    outputs: list[Path]

    @property
    def errors_user(self) -> int:
        """Error findings in the user's own data: each one is a report, row, value or sheet the build left out."""
        return int(self.counts.get("errors_user", 0))

    @property
    def errors_sample(self) -> int:
        """Error findings from the fictional sample's deliberate faults (they show the checks at work)."""
        return int(self.counts.get("errors_sample", 0))

    def summary(self) -> str:
        c = self.counts
        sev_zh = load_vocabulary().labels("severities")
        sev = "，".join(f"{sev_zh.get(k, k)} {v}" for k, v in sorted(self.findings_by_severity.items())) or "无"
        sample = "已包含（虚构的示例市，标记为模拟数据）" if c["sample"] else "未包含"
        lines = [
            f"构建 → {self.processed_dir}",
            f"  来源：报告 {c['reports']} 份，数据集文件 {c['datasets']} 个，示例数据：{sample}",
            f"  报告中的数字：{c['facts']} 个（已对应指标 {c['facts_mapped']}，未对应 {c['facts_unmapped']}）",
            f"  观测值：{c['observations']} 行（已报告 {c['observations_reported']}，"
            f"未报告 {c['observations'] - c['observations_reported']}），共 {c['units']} 个单位",
            f"  冲突：{c['conflicts']}；检查发现：{sev}",
            f"  您的数据中的错误（被略过或需核对的报告、行、数值、工作表）：{self.errors_user}",
        ]
        if c["sample"]:
            lines.append(f"  示例数据中的故意错误：{self.errors_sample}（用来演示检查规则，不是您的数据）")
            lines.append("  只用真实数据：make run SAMPLE=0（或 python -m analysis build --no-sample）")
        return "\n".join(lines)


def sample_line(included: bool) -> str:
    """The summary line that says whether the fictional sample is in the build (and how to leave it out)."""
    if included:
        return "示例数据（虚构的示例市）：已包含（仅用于演示；不含示例数据请用 make run SAMPLE=0 或 build --no-sample）"
    return "示例数据（虚构的示例市）：未包含，只有真实数据"


# ---------------------------------------------------------------- the build


@dataclasses.dataclass(frozen=True)
class DeriveInputs:
    """What the derived-table step gets from the build: the chosen observations (with the not-reported grid), the
    registry, the configuration, the report problems, the units and the report facts."""

    observations: pd.DataFrame
    indicators: pd.DataFrame
    config: dict
    problems: pd.DataFrame
    units: pd.DataFrame
    facts: pd.DataFrame


# derive(inputs, say) -> {name: table}; each table is written as metrics/<name> in the same version folder
Derive = Callable[[DeriveInputs, Callable[[str], None]], dict[str, pd.DataFrame]]


def build(
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    include_sample: bool = True,
    config: dict | None = None,
    progress=None,
    derive: Derive | None = None,
) -> BuildResult:
    """Build data/processed (or ``processed_dir``) from data/raw under the pipeline lock: first what killed commands
    left behind is cleaned up (analysis.core.io.clean_leftovers), then the tables are computed and switched in as one new
    version (write_outputs).

    ``config`` is the analysis configuration (extraction.min_confidence, precedence; None reads as empty) and
    ``derive`` computes the derived tables written beside the tidy ones as ``metrics/<name>`` (see `Derive`); the
    metrics layer's analysis.metrics.pipeline.build supplies both."""
    target = Path(processed_dir) if processed_dir else paths.processed_dir()
    with command_lock("pipeline", processed=target):
        clean_leftovers(target, paths.reports_dir() if processed_dir is None else None)
        ensure_writable(target)
        return _build(raw_dir, target, include_sample, config, progress, derive)


def _build(raw_dir, processed_dir, include_sample, config, progress, derive) -> BuildResult:
    from analysis.registry import load_indicators
    from analysis.registry.units import load_units
    from analysis.tidy.corrections import apply_corrections, load_ledger
    from analysis.tidy.quality import check_candidates, check_year_jumps

    say = progress or (lambda msg: None)
    raw_dir = Path(raw_dir) if raw_dir else paths.raw_dir()
    processed_dir = Path(processed_dir) if processed_dir else paths.processed_dir()
    started = dt.datetime.now(dt.UTC)
    raw_before = hash_tree(raw_dir)
    config = config if config is not None else {}
    indicators = load_indicators()
    units = load_units(include_sample=True)

    discover_findings: list[dict] = []
    report_paths, dataset_paths = discover(raw_dir, discover_findings)
    say(f"读取 {raw_dir} 中的报告 {len(report_paths)} 份、数据集文件 {len(dataset_paths)} 个")
    ledger_findings: list[dict] = []
    ledger = load_ledger(problems=ledger_findings)  # a bad ledger line is refused with a finding, never applied
    min_confidence = float(((config or {}).get("extraction") or {}).get("min_confidence", 0.0))
    facts, cands, problems, docs, findings = load_reports(
        report_paths, raw_dir, indicators, units, ledger=ledger, min_confidence=min_confidence
    )
    findings = discover_findings + ledger_findings + findings
    c2, f2 = load_datasets(dataset_paths, raw_dir, indicators, units)
    cands += c2
    findings += f2
    if include_sample:
        c3, f3 = load_sample(indicators, units)
        cands += c3
        findings += f3

    candidates = _candidates(cands, units)

    # review decisions used on report facts are not applied again to the candidates
    report_fact_ids = {i for f in facts for i in f["fact_id"].astype(str)} if facts else set()
    ledger = ledger[~((ledger["action"] == "drop") & ledger["fact_id"].isin(report_fact_ids))]
    # the ledger may name a unit by id or by name
    names = units.set_index("unit_id")["name"]
    candidates, corr_findings = apply_corrections(
        candidates.assign(unit_name=candidates["unit_id"].map(names)), ledger, indicators=indicators
    )
    candidates = candidates.drop(columns="unit_name")
    findings += corr_findings.to_dict("records") if len(corr_findings) else []

    # dataset and sample files were checked cell by cell (with sheet!cell locators) when they were imported
    checked_at_import = candidates["source_kind"].isin(["dataset", "sample"])
    findings += check_candidates(candidates[~checked_at_import], indicators).to_dict("records")
    precedence = (config.get("precedence") or DEFAULT_PRECEDENCE) if isinstance(config, dict) else DEFAULT_PRECEDENCE
    ranked, conflicts = choose(candidates, precedence)
    findings += _conflict_findings(conflicts)

    observations, observations_all = _observations(ranked, indicators, units)
    findings += check_year_jumps(observations).to_dict("records")

    fact_frame = (
        pd.concat(facts, ignore_index=True)
        if facts
        else pd.DataFrame(columns=[*FACT_COLUMNS, "source_file", "unit_id", "year"])
    )
    problem_frame = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["unit_id", "year", "source_file", "problem_no", "text", "area"])
    )
    metrics = (
        derive(DeriveInputs(observations, indicators, config, problem_frame, units, fact_frame), say) if derive else {}
    )
    findings_frame = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    findings_frame["year"] = pd.to_numeric(findings_frame["year"], errors="coerce").astype("Int64")
    tables = _tables(
        observations, observations_all, fact_frame, conflicts, findings_frame, problem_frame, docs, units, metrics
    )
    raw_after = hash_tree(raw_dir)
    if raw_after != raw_before:
        changed = sorted(set(raw_before.items()) ^ set(raw_after.items()))
        raise RuntimeError(f"构建期间 data/raw 被改动（{changed[:3]}）；未写出任何输出")

    counts = _counts(
        findings_frame, fact_frame, observations, conflicts, len(report_paths), len(dataset_paths), include_sample
    )
    manifest = {
        "built_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "analysis_version": __version__,
        "raw_files": raw_before,
        "registry_sha256": sha256_file(paths.REGISTRY_DIR / "indicators.yaml"),
        "units_sha256": sha256_file(paths.units_file()),
        "include_sample": include_sample,
        "counts": counts,
        "tables": sorted(tables),
    }
    say(f"写出 {len(tables)} 张表到 {processed_dir}")
    outputs = write_outputs(
        tables, processed_dir, manifest, csv=("observations", "facts", "findings", "conflicts", "problems", "documents")
    )
    sev = findings_frame["severity"].value_counts().to_dict()
    return BuildResult(processed_dir, counts, {str(k): int(v) for k, v in sev.items()}, outputs)


def _candidates(cands: list[pd.DataFrame], units: pd.DataFrame) -> pd.DataFrame:
    """Every candidate observation of the reports, datasets and sample in one frame (an empty one with the columns)."""
    cand_cols = [c for c in OBSERVATION_COLUMNS if c not in ("precedence_rank",) and c not in unit_info(units).columns]
    candidates = (
        pd.concat([c for c in cands if len(c)], ignore_index=True)
        if any(len(c) for c in cands)
        else pd.DataFrame(columns=cand_cols)
    )
    candidates["year"] = candidates["year"].astype(int)
    return candidates


def _conflict_findings(conflicts: pd.DataFrame) -> list[dict]:
    """One source_conflict finding per chosen value that had other candidates, naming them."""
    findings: list[dict] = []
    for r in (
        conflicts[conflicts.get("chosen", pd.Series(dtype=bool))].itertuples(index=False) if len(conflicts) else []
    ):
        others = conflicts[
            (conflicts.unit_id == r.unit_id)
            & (conflicts.year == r.year)
            & (conflicts.indicator_id == r.indicator_id)
            & ~conflicts.chosen
        ]
        alt = "；".join(
            f"{v:g}（{SOURCE_KIND_ZH.get(k, k)}：{s} {loc}）"
            for v, k, s, loc in zip(others.value, others.source_kind, others.source_file, others.locator, strict=True)
        )
        findings.append(
            finding(
                "source_conflict",
                f"按来源优先级采用{SOURCE_KIND_ZH.get(r.source_kind, r.source_kind)}的 {r.value:g}；另有 {alt}",
                severity="warning",
                source_file=r.source_file,
                locator=r.locator,
                unit_id=r.unit_id,
                year=int(r.year),
                indicator_id=r.indicator_id,
            )
        )
    return findings


def _observations(ranked: pd.DataFrame, indicators: pd.DataFrame, units: pd.DataFrame):
    """(observations: the chosen values on the full not-reported grid, observations_all: every ranked candidate)."""
    info = unit_info(units)
    for col in CORRECTION_COLUMNS:
        if col not in ranked.columns:
            ranked[col] = pd.NA
    out_cols = OBSERVATION_COLUMNS + CORRECTION_COLUMNS
    observations_all = ranked.join(info, on="unit_id")[out_cols]
    chosen = ranked[ranked["precedence_rank"] == 0].drop(columns="precedence_rank")
    observations = complete_grid(chosen, indicators).join(info, on="unit_id")
    observations["precedence_rank"] = observations["value"].notna().map({True: 0, False: pd.NA})
    observations = observations[out_cols].sort_values(["is_synthetic", "unit_id", "year", "indicator_id"])
    observations = observations.reset_index(drop=True)
    observations["approx"] = observations["approx"].astype(bool)
    return observations, observations_all


def _tables(observations, observations_all, fact_frame, conflicts, findings_frame, problem_frame, docs, units, metrics):
    """The tables of one version folder, by name (metrics under metrics/)."""
    units_out = units.copy()
    units_out["aliases"] = units_out["aliases"].map(lambda a: ",".join(a))
    return {
        "observations": observations,
        "observations_all": observations_all,
        "facts": fact_frame,
        "conflicts": conflicts
        if len(conflicts)
        else pd.DataFrame(
            columns=["unit_id", "year", "indicator_id", "value", "source_kind", "source_file", "locator", "chosen"]
        ),
        "findings": findings_frame,
        "problems": problem_frame,
        "documents": pd.DataFrame(
            docs,
            columns=[
                "source_file",
                "sha256",
                "status",
                "unit_id",
                "year",
                "district_detected",
                "year_detected",
                "published",
                "title",
                "n_facts",
                "n_mapped",
                "message",
            ],
        ),
        "units": units_out,
        **{f"metrics/{k}": v for k, v in metrics.items()},
    }


def _counts(findings_frame, fact_frame, observations, conflicts, n_reports, n_datasets, include_sample) -> dict:
    """The build's counts (summary line and manifest)."""
    from analysis.ingest.sample import SAMPLE_SOURCE

    is_error = findings_frame["severity"] == "error"
    from_sample = findings_frame["source_file"] == SAMPLE_SOURCE
    counts = {
        "errors_user": int((is_error & ~from_sample).sum()),
        "errors_sample": int((is_error & from_sample).sum()),
        "reports": n_reports,
        "datasets": n_datasets,
        "sample": bool(include_sample),
        "facts": len(fact_frame),
        "facts_mapped": int((fact_frame["indicator_id"] != UNMAPPED).sum()),
        "facts_unmapped": int((fact_frame["indicator_id"] == UNMAPPED).sum()),
        "observations": len(observations),
        "observations_reported": int(observations["value"].notna().sum()),
        "units": int(observations["unit_id"].nunique()),
        "conflicts": int(len(conflicts) and conflicts[["unit_id", "year", "indicator_id"]].drop_duplicates().shape[0]),
    }
    return counts
