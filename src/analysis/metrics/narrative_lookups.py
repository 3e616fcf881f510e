"""What every narrative sentence looks up: indicator names, targets and roles, values and rates as printed (with the
indicator ids and evidence behind them), balance rows and the report's own problems."""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from analysis.metrics.config import SCORED_AREAS
from analysis.metrics.wording import blank, count_text, rate_text


class Lookups:
    """Lookups shared by every sentence: values as printed, evidence, names."""

    def __init__(self, tables, observations, problems, indicators, config, templates, facts):
        self.t = templates
        self.names = indicators["name_zh"].astype(str).to_dict()
        self.measure_of = indicators["measure"].astype(str).to_dict()
        self.direction = indicators["direction"].astype(str).to_dict()
        self.target = pd.to_numeric(indicators.get("target", pd.Series(dtype=float)), errors="coerce").to_dict()
        self.rate_goal = {a: b for a, b in ((d, config["normalization"]["rate"][d]["goal"]) for d in
                                            ("higher_better", "lower_better"))}  # fmt: skip
        self.numer = indicators.get("numerator", pd.Series(dtype=object)).to_dict()
        self.denom = indicators.get("denominator", pd.Series(dtype=object)).to_dict()
        core = config.get("roles", {}).get("core_outcomes", {})
        self.core = {a: [i for i in core.get(a, []) if i in self.names] for a in SCORED_AREAS}
        self.role = indicators["role"].to_dict() if "role" in indicators.columns else {}
        self.area_of = indicators["area"].astype(str).to_dict()
        obs = observations[observations["value"].notna()] if len(observations) else observations
        key = list(
            zip(obs["unit_id"].astype(str), obs["year"].astype(int), obs["indicator_id"].astype(str), strict=False)
        )
        self.value = dict(zip(key, obs["value"].astype(float), strict=False))
        self.approx = dict(zip(key, obs["approx"].fillna(False).astype(bool), strict=False)) if "approx" in obs else {}
        loc = obs["source_file"].fillna("").astype(str) + "#" + obs["locator"].fillna("").astype(str)
        self.evidence = dict(zip(key, loc, strict=False))
        ntext = {}
        if facts is not None and len(facts) and "fact_id" in obs.columns:
            ft = facts.drop_duplicates("fact_id").set_index("fact_id")["number_text"]
            ntext = obs["fact_id"].map(ft).to_dict()
        self.number_text = {k: ntext.get(i) for k, i in zip(key, obs.index, strict=True)}
        rates = tables["rates"]
        rates = rates[rates["rate"].notna()]
        rk = list(
            zip(
                rates["unit_id"].astype(str), rates["year"].astype(int), rates["indicator_id"].astype(str), strict=False
            )
        )
        self.rate = dict(
            zip(
                rk,
                rates[["rate", "numerator", "denominator", "approx", "source"]].itertuples(index=False),
                strict=False,
            )
        )
        bal = tables.get("balance")
        self.balance = defaultdict(list)
        if bal is not None and len(bal):
            for r in bal.to_dict("records"):
                self.balance[(str(r["parent_unit_id"]), int(r["year"]))].append(r)
        self.sub_levels = [str(x) for x in config.get("balance", {}).get("levels", ["street", "department"])]
        self.min_units = int(config.get("balance", {}).get("min_units", 3))
        self.problems = defaultdict(list)
        if problems is not None and len(problems):
            for r in problems.itertuples(index=False):
                self.problems[(str(r.unit_id), int(r.year), str(r.area))].append(r)

    # a value as printed, with the indicator ids and evidence behind it
    def printed(self, u: str, y: int, iid: str) -> tuple[str, list[str], list[str]] | None:
        r = self.rate.get((u, y, iid))
        if r is not None:
            computed = r.source == "computed" and not blank(r.numerator) and not blank(r.denominator)
            ids = [iid] + ([self.numer.get(iid), self.denom.get(iid)] if computed else [])
            ids = [i for i in ids if isinstance(i, str)]
            ev = [self.evidence[(u, y, i)] for i in ids if (u, y, i) in self.evidence]
            txt = rate_text(r.rate, r.numerator if computed else None, r.denominator if computed else None,
                            bool(r.approx), None if computed else self.number_text.get((u, y, iid)))  # fmt: skip
            return txt, ids, ev
        v = self.value.get((u, y, iid))
        if v is None:
            return None
        txt = count_text(v, self.measure_of.get(iid, ""), self.approx.get((u, y, iid), False),
                         self.number_text.get((u, y, iid)))  # fmt: skip
        return txt, [iid], [self.evidence[(u, y, iid)]] if (u, y, iid) in self.evidence else []

    def goal(self, iid: str) -> float | None:
        t = self.target.get(iid)
        if t is not None and not (isinstance(t, float) and math.isnan(t)):
            return float(t)
        return None

    def join(self, items: list[str], limit: int = 4) -> str:
        sep = self.t["words"]["list_sep"]
        if len(items) > limit:
            return sep.join(items[:limit]) + self.t["words"]["more"]
        return sep.join(items)
