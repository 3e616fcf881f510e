"""What the pages of the reports site share: the style of the entry page, short area labels, the notebook runs
found under reports/ (with their parameters) and the rule-written narrative the pages quote."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from analysis.registry.vocabulary import load_vocabulary

AREA_SHORT = load_vocabulary().area_labels("short")  # registry/vocabulary.yaml
INDEX_CSS = """
header.top{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline;margin-bottom:1rem}
header.top a{white-space:nowrap}
section.real,section.sample{margin-top:1.5rem}
section.sample{border:2px dashed #c53030;padding:.2rem 1rem 1rem;background:#fff8f8}
section.sample>h2{color:#c53030}
.city-chart{max-width:100%;height:auto;border:1px solid #e2e8f0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem;margin:1rem 0}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:.6rem;background:#fff}
.card h4{margin:.2rem 0 .4rem;font-size:1.05rem}
.card img{width:100%;height:auto;border:1px solid #edf0f2}
.card ul{list-style:none;padding:0;margin:.4rem 0;font-size:.9rem}
.card .links a{margin-right:.8rem;white-space:nowrap}
.points li{margin:.2rem 0}
.badge{display:inline-block;background:#c53030;color:#fff;border-radius:3px;padding:0 .4rem;font-size:.85rem}
.card li.worse{color:#c53030} .card li.muted{color:#718096}
"""


def find_runs(base: Path) -> dict[str, list[tuple[dict, Path]]]:
    """{notebook: [(parameters, page path relative to reports)]} from each run folder's run.json."""
    out: dict[str, list[tuple[dict, Path]]] = defaultdict(list)
    for nb_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for run_dir in sorted(p for p in nb_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            page = run_dir / f"{nb_dir.name}.html"
            if not page.is_file():
                continue
            params: dict = {}
            meta = run_dir / "run.json"
            if meta.is_file():
                try:
                    data = json.loads(meta.read_text(encoding="utf-8"))
                    params = data.get("params", data.get("parameters", {})) or {}
                except (OSError, ValueError):
                    params = {}
            out[nb_dir.name].append((params, page.relative_to(base)))
    return out


def page_for(runs: dict, notebook: str, **want: object) -> Path | None:
    for params, page in runs.get(notebook, []):
        if all(str(params.get(k)) == str(v) for k, v in want.items()):
            return page
    return None


def read_narrative(processed_dir: Path) -> pd.DataFrame:
    """The narrative table (contract in the team's notes: level, unit_id, year, area, seq, kind, sentence, …), or an
    empty frame when it has not been built."""
    from analysis.core import paths

    path = paths.resolve_processed(processed_dir) / "metrics" / "narrative.parquet"
    cols = ["level", "unit_id", "year", "area", "seq", "kind", "sentence"]
    if not path.is_file():
        return pd.DataFrame(columns=cols)
    df = pd.read_parquet(path)
    missing = [c for c in cols if c not in df.columns]
    return pd.DataFrame(columns=cols) if missing else df


def key_points(narrative: pd.DataFrame, unit_id: str, year: int, level: str = "city") -> list[str]:
    """The whole-unit (area '') 要点 sentences of one unit-year, in ``seq`` order."""
    if narrative.empty:
        return []
    n = narrative[
        (narrative["level"].astype(str) == level)
        & (narrative["unit_id"].astype(str) == str(unit_id))
        & (pd.to_numeric(narrative["year"], errors="coerce") == int(year))
        & (narrative["area"].fillna("").astype(str) == "")
    ]
    n = n.sort_values("seq")
    return [str(s) for s in n["sentence"] if isinstance(s, str) and s.strip()]


def default_processed() -> Path:
    from analysis.core import paths

    return paths.resolve_processed()
