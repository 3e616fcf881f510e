"""One-page leadership briefs: per district-year a fixed A4 page (header with area scores and ranks where allowed,
P1–P3 indicator panels, trend sparklines on one shared 0–100 scale with change marks, source note), saved as PNG,
SVG and PDF, plus one PDF per city holding all its districts' pages.

Layout of the output: ``<out_dir>/<city>/<district>_<year>.{png,svg,pdf}`` and ``<out_dir>/<city>/<city>_简报.pdf``.
Real and fictional cities are separate PDFs, so real and sample units never share a page.

This module writes the files (incrementally, by content key); the page itself is in ``brief_page``, the ranking of
a panel's rows in ``brief_rows``, the city summary page and PDF in ``brief_city``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis.core.io import inside, safe_name
from analysis.core.parallel import fork_map
from analysis.present.brief_city import city_summary_figure, write_city_pdf
from analysis.present.brief_page import brief_figure, brief_inputs, draw_brief, header_lines, narrative_lines, wrap_zh
from analysis.present.brief_rows import MAX_PANEL_ROWS, ranked_rows
from analysis.present.charts import views
from analysis.present.charts.style import save_figure
from analysis.tidy import load

__all__ = [
    "MAX_PANEL_ROWS",
    "brief_figure",
    "brief_inputs",
    "build_briefs",
    "city_summary_figure",
    "content_key",
    "draw_brief",
    "header_lines",
    "latest_years",
    "ranked_rows",
    "wrap_zh",
]


def content_key(content: object) -> str:
    """A stable sha256 of nested plain values, Series and DataFrames (row order kept; frames hashed by value)."""
    import hashlib
    import json

    def plain(v: object) -> object:
        if isinstance(v, pd.DataFrame):
            frame = v.reset_index(drop=True)
            cols = [str(c) for c in frame.columns]
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
            return {"columns": cols, "rows": hashlib.sha256(hashed.tobytes()).hexdigest()}
        if isinstance(v, pd.Series):
            return plain(v.to_frame().T.astype(str))
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, float) and v != v:
            return "NaN"
        return v if isinstance(v, str | int | float | bool) or v is None else str(v)

    text = json.dumps(plain(content), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _neutral_band() -> float:
    from analysis.metrics.config import load_config

    return float(load_config()["neutral_band"]["rate_pp"])


def latest_years(obs: pd.DataFrame, district_ids: list[str]) -> dict[str, int]:
    """Latest year with any reported value per district."""
    rep = obs[obs["unit_id"].isin(district_ids) & obs["value"].notna()]
    return {str(u): int(y) for u, y in rep.groupby("unit_id")["year"].max().items()}


class _Outputs:
    """Where briefs go and what an earlier run left: decides per output whether it can be reused, records keys and
    the outputs drawn (relative to ``out``)."""

    def __init__(self, out: Path, previous_keys: dict[str, str], keys: dict[str, str], drawn: list[str], reuse_from):
        self.out, self.previous_keys, self.keys, self.drawn, self.reuse_from = (
            out,
            previous_keys,
            keys,
            drawn,
            reuse_from,
        )

    def rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def reuse(self, targets: list[Path], key: str) -> bool:
        """True when every target is unchanged and now present in ``out`` (taken from ``reuse_from`` if given)."""
        if not all(self.previous_keys.get(self.rel(t)) == key for t in targets):
            return False
        if self.reuse_from is None:
            return all(t.is_file() for t in targets)
        sources = [Path(self.reuse_from) / self.rel(t) for t in targets]
        if not all(src.is_file() for src in sources):
            return False
        for src, t in zip(sources, targets, strict=True):
            t.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, t)
            except OSError:
                shutil.copy2(src, t)
        return True


def _load_tables(processed_dir, indicators: pd.DataFrame | None) -> dict:
    """The tables a brief draws from; the narrative is optional (None when it was not built)."""
    tables = {
        "obs": load.load_observations(processed_dir),
        "units": load.load_units(processed_dir),
        "indicators": load.load_indicators() if indicators is None else indicators,
    }
    for name in ("area_scores", "ranks", "rates", "changes"):
        tables[name] = load.load_metric(name, processed_dir)
    try:
        tables["narrative"] = load.load_metric("narrative", processed_dir)
    except load.MissingOutputError:
        tables["narrative"] = None
    return tables


def build_briefs(
    processed_dir: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    year: int | None = None,
    neutral_band: float | None = None,
    formats: tuple[str, ...] = ("png", "svg", "pdf"),
    indicators: pd.DataFrame | None = None,
    districts: list[str] | None = None,
    previous_keys: dict[str, str] | None = None,
    keys_out: dict[str, str] | None = None,
    salt: str = "",
    drawn: list[str] | None = None,
    reuse_from: str | os.PathLike | None = None,
    jobs: int | None = 1,
) -> list[Path]:
    """Write a brief per district (latest year by default, or ``year``) and one PDF per city. Returns all paths.

    ``districts`` (ids or names) limits the run to those districts; by default every district with observations.

    Incremental: every brief and every city PDF has a key, the :func:`content_key` of what it shows (plus ``salt``,
    e.g. the code and config hashes). A brief whose key is in ``previous_keys`` (by output path) and whose files exist
    is not drawn again; a city PDF is rebuilt only when its summary page or one of its districts' briefs changed, by
    joining the districts' own one-page PDFs after a freshly drawn summary page (no brief is drawn twice). The keys of
    this call go to ``keys_out``; the outputs that were drawn (relative to ``out_dir``) to ``drawn``. With
    ``reuse_from`` (the previous briefs folder, when ``out_dir`` is a fresh staging folder) an unchanged file is
    taken from there (hard link, else copy) instead of being drawn again.

    ``jobs`` > 1 (``None``: the cores) draws the district pages in that many forked processes (when PDFs are written:
    the city PDF joins the district PDFs); the files are the same as drawn one after the other.
    """
    t = _load_tables(processed_dir, indicators)
    obs, units = t["obs"], t["units"]
    band = _neutral_band() if neutral_band is None else float(neutral_band)
    out = Path(out_dir)
    outputs = _Outputs(
        out, previous_keys or {}, {} if keys_out is None else keys_out, [] if drawn is None else drawn, reuse_from
    )
    fmts = tuple(f.lower().lstrip(".") for f in formats)
    chosen = units[(units["level"] == "district") & units["unit_id"].isin(obs["unit_id"])]
    if districts:
        chosen = chosen[chosen["unit_id"].isin([views.resolve_unit(units, d)["unit_id"] for d in districts])]
    years = latest_years(obs, chosen["unit_id"].tolist())
    jobs_per_city: list[tuple[str, pd.DataFrame, Path, list]] = []
    for city, group in chosen.groupby("city", sort=False):
        city_dir = inside(out, out / safe_name(city))
        todo = []
        for unit in group.itertuples(index=False):
            y = int(year) if year is not None else years.get(unit.unit_id)
            if y is None or not ((obs["unit_id"] == unit.unit_id) & (obs["year"] == y)).any():
                continue
            todo.append((unit, y))
        jobs_per_city.append((str(city), group, city_dir, todo))

    def one(job: tuple) -> _Brief:
        unit, y, city_dir = job
        return _district_brief(t, unit, y, band, salt, fmts, city_dir, outputs)

    every = [(unit, y, city_dir) for _c, _g, city_dir, todo in jobs_per_city for unit, y in todo]
    # the district pages in parallel processes (each result is its files and key; the page for the city PDF is then
    # the district's own PDF); without a PDF the pages are figures, drawn here
    done = iter(fork_map(one, every, jobs if "pdf" in fmts else 1))
    per_city: list[list[Path]] = []  # each city's files: its districts' briefs, then its PDF
    cities = []
    for city, group, city_dir, todo in jobs_per_city:
        briefs = [next(done) for _ in todo]
        per_city.append([])
        for brief in briefs:
            outputs.keys.update({outputs.rel(x): brief.key for x in brief.targets})
            outputs.drawn.extend(brief.drawn)
            per_city[-1] += brief.targets
        if briefs:
            cities.append((city, group, max(y for _u, y in todo), [b.page for b in briefs], [b.key for b in briefs],
                           city_dir, len(per_city) - 1))  # fmt: skip

    def city_pdf(job: tuple) -> _Brief:
        city, group, summary_year, pages, page_keys, city_dir, _k = job
        return _city_pdf(t, city, group, summary_year, pages, page_keys, salt, city_dir, outputs)

    # then each city's PDF (its summary page drawn, its district pages joined), the cities in parallel processes
    for job, brief in zip(cities, fork_map(city_pdf, cities, jobs if "pdf" in fmts else 1), strict=True):
        outputs.keys[outputs.rel(brief.targets[0])] = brief.key
        outputs.drawn.extend(brief.drawn)
        per_city[job[-1]] += brief.targets
    return [p for files in per_city for p in files]


@dataclass
class _Brief:
    """One brief as drawn (or reused): its files, its key, the files drawn and its page for the city PDF (for a
    city PDF: the PDF itself)."""

    targets: list[Path]
    key: str
    drawn: list[str]
    page: Path | Figure


def _district_brief(
    t: dict, unit, y: int, band: float, salt: str, fmts: tuple[str, ...], city_dir: Path, outputs: _Outputs
) -> _Brief:
    """One district-year's brief in every format, drawn unless reused."""
    content = brief_inputs(
        unit.unit_id, y, t["obs"], t["indicators"], t["units"], t["area_scores"], t["ranks"], band, t["rates"],
        t["narrative"], t["changes"],
    )  # fmt: skip
    key = content_key([salt, fmts, content])
    stem = safe_name(f"{unit.name}_{y}")
    targets = [inside(outputs.out, city_dir / f"{stem}.{f}") for f in fmts]
    fig = None
    drawn: list[str] = []
    if not outputs.reuse(targets, key):
        fig = draw_brief(content)
        save_figure(fig, f"{unit.name}_{y}", city_dir, fmts)
        drawn = [outputs.rel(x) for x in targets]
    pdf = city_dir / f"{stem}.pdf"
    page = pdf if "pdf" in fmts else (fig if fig is not None else draw_brief(content))
    return _Brief(targets, key, drawn, page)


def _city_pdf(
    t: dict, city: str, group: pd.DataFrame, summary_year: int, pages: list, page_keys: list[str], salt: str,
    city_dir: Path, outputs: _Outputs,
) -> _Brief:  # fmt: skip
    """The city's PDF (summary page of its latest year, then the district pages), rebuilt unless reused."""
    obs, units, area_scores, narrative = t["obs"], t["units"], t["area_scores"], t["narrative"]
    in_year = group[group["unit_id"].isin(obs.loc[obs["year"] == summary_year, "unit_id"])]
    city_row = units[(units["level"] == "city") & (units["name"] == city)]
    city_id = city_row["unit_id"].iloc[0] if len(city_row) else city
    ids = in_year["unit_id"].tolist()
    summary_content = {
        "city": city,
        "year": summary_year,
        "districts": in_year[["unit_id", "name"]],
        "scores": area_scores[(area_scores["year"] == summary_year) & area_scores["unit_id"].isin(ids)],
        "lines": narrative_lines(narrative, city_id, summary_year),
    }
    target = inside(outputs.out, city_dir / f"{safe_name(city)}_简报.pdf")
    key = content_key([salt, summary_content, page_keys])
    drawn = []
    if not outputs.reuse([target], key):
        summary = city_summary_figure(city, summary_year, in_year, units, area_scores, narrative)
        write_city_pdf(target, summary, pages)
        drawn.append(outputs.rel(target))
    return _Brief([target], key, drawn, target)
