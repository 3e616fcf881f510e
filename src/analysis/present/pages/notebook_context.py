"""What every parameterized notebook loads first: the processed data read once (``load_context``) and the units
the notebook is about."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.present.charts import views
from analysis.present.charts.style import AREA_ORDER, MixedSourcesError
from analysis.registry.vocabulary import load_vocabulary
from analysis.tidy import load

AREA_IDS = (*AREA_ORDER, "overall")
# Short area names for table headers (a header never wraps, so it must be short enough for the table to fit).
SHORT_AREA_LABELS = load_vocabulary().area_labels("short")  # registry/vocabulary.yaml


@dataclass
class Context:
    """Processed data a notebook reads: tidy observations, units, the indicator registry and metric tables."""

    processed_dir: Path
    obs: pd.DataFrame
    units: pd.DataFrame
    indicators: pd.DataFrame
    neutral_band: float
    _metrics: dict[str, pd.DataFrame] = field(default_factory=dict)

    def metric(self, name: str) -> pd.DataFrame:
        """A metric table (rates, changes, area_scores, ranks, balance, robustness, normalized), read once."""
        if name not in self._metrics:
            self._metrics[name] = load.load_metric(name, self.processed_dir)
        return self._metrics[name]


def neutral_band_points() -> float:
    """The neutral band for 0–100 scores and rates (config neutral_band.rate_pp)."""
    from analysis.metrics.config import load_config

    return float(load_config()["neutral_band"]["rate_pp"])


def load_context(processed_dir: str | os.PathLike = "", indicators: pd.DataFrame | None = None) -> Context:
    """Read what every notebook needs; an empty ``processed_dir`` means analysis.core.paths.processed_dir()."""
    pdir = paths.resolve_processed(processed_dir or None)  # one build for the whole notebook
    return Context(
        processed_dir=pdir,
        obs=load.load_observations(pdir),
        units=load.load_units(pdir),
        indicators=load.load_indicators() if indicators is None else indicators,
        neutral_band=neutral_band_points(),
    )


def select_districts(units: pd.DataFrame, city: str, districts: list | tuple = ()) -> pd.DataFrame:
    """Districts of ``city`` (all when ``districts`` is empty, else those named/ids given, in that order).

    Raises MixedSourcesError if the selection mixes real and fictional units, UnknownUnitError for unknown names.
    """
    all_d = views.districts_of(units, city)
    if districts:
        rows = [views.resolve_unit(units, d) for d in districts]
        ids = [r["unit_id"] for r in rows]
        outside = [r["name"] for r in rows if r["unit_id"] not in set(all_d["unit_id"])]
        if outside:
            raise views.UnknownUnitError(f"不是 {city} 的区县：{outside}")
        all_d = all_d.set_index("unit_id").loc[ids].reset_index()
    if all_d["synthetic"].astype(bool).nunique() > 1:
        raise MixedSourcesError(f"{city}：真实区县与虚构区县不能放在一起比较")
    return all_d.reset_index(drop=True)


def districts_with_data(sel: pd.DataFrame, area_scores: pd.DataFrame, year: int) -> tuple[list[str], str]:
    """(ids of the selected districts with an area score row in ``year``, a Markdown line naming the others) — the
    tables leave out districts without any data that year instead of printing rows of 未能计算."""
    have = set(area_scores.loc[area_scores["year"] == int(year), "unit_id"].astype(str))
    ids = [u for u in sel["unit_id"].astype(str) if u in have]
    without = [str(n) for u, n in zip(sel["unit_id"].astype(str), sel["name"], strict=True) if u not in have]
    if not without:
        return ids, ""
    names = "、".join(esc(n) for n in without[:12]) + ("等" if len(without) > 12 else "")
    return ids, f"另有{len(without)}个区县{int(year)}年尚无数据（未收到报告或数据集），下表未列出：{names}。"


def has_changes(changes: pd.DataFrame, unit_ids: list[str], year: int) -> bool:
    """True when at least one of the districts has a value in both ``year`` and the year before."""
    sel = changes[(changes["year"] == int(year)) & changes["unit_id"].isin(unit_ids)]
    return bool((sel["prev_value"].notna() & sel["value"].notna()).any())


def indicators_with_changes(changes: pd.DataFrame, unit_ids: list[str], year: int, indicator_ids) -> list[str]:
    """The indicators of ``indicator_ids`` (in that order) for which :func:`has_changes` is true: one filter for all
    instead of one per indicator."""
    sel = changes[(changes["year"] == int(year)) & changes["unit_id"].isin(unit_ids)]
    found = set(sel.loc[sel["prev_value"].notna() & sel["value"].notna(), "indicator_id"])
    return [i for i in indicator_ids if i in found]


def esc(text: object) -> str:
    """HTML-escape a value for Markdown narrative."""
    return html.escape("" if views.is_missing(text) else str(text))
