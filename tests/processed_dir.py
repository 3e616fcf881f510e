"""A tiny processed data dir (observations, metrics) for the page, brief and notebook tests; fictional units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PAYLOAD = "<script>alert(1)</script>"

# indicator ids kept from the seed gold file (stable), one or more per problem area
IND = {
    "med_success_rate": ("调解成功率", "%", "p1_effectiveness", "higher_better", "rate"),
    "lit_lost": ("行政诉讼败诉", "件", "p1_effectiveness", "lower_better", "count"),
    "nd_issued": ("出台行政规范性文件", "件", "p2_normative_docs", "neutral", "count"),
    "nd_filed": ("规范性文件备案", "件", "p2_normative_docs", "higher_better", "count"),
    "enf_certificates_new": ("执法证新证申领", "人", "p3_enforcement", "higher_better", "count"),
}


def indicators_frame() -> pd.DataFrame:
    rows = [
        {"id": k, "name_zh": v[0], "measure": v[1], "area": v[2], "direction": v[3], "kind": v[4]}
        for k, v in IND.items()
    ]
    return pd.DataFrame(rows).set_index("id", drop=False)


def units_frame(district_name: str = "示例一区") -> pd.DataFrame:
    rows = [
        ("jiaozuo", "焦作市", "city", None, "焦作市", False),
        ("jiaozuo-macun", "马村区", "district", "jiaozuo", "焦作市", False),
        ("demo", "示例市", "city", None, "示例市", True),
        ("demo-d1", district_name, "district", "demo", "示例市", True),
        ("demo-d2", "示例二区", "district", "demo", "示例市", True),
        ("demo-d3", "示例三区", "district", "demo", "示例市", True),
        ("demo-d1-s1", "示例一街道", "street", "demo-d1", "示例市", True),
        ("demo-d1-s2", "示例二街道", "street", "demo-d1", "示例市", True),
        ("demo-d1-s3", "示例三街道", "street", "demo-d1", "示例市", True),
    ]
    df = pd.DataFrame(rows, columns=["unit_id", "name", "level", "parent", "city", "synthetic"])
    df["province"] = "河南省"
    return df


def _obs_row(units: pd.DataFrame, unit_id: str, year: int, ind: str, value, state: str, evidence: str = "") -> dict:
    u = units.set_index("unit_id").loc[unit_id]
    return {
        "unit_id": unit_id,
        "unit_name": u["name"],
        "unit_level": u["level"],
        "parent_unit_id": u["parent"],
        "city": u["city"],
        "province": "河南省",
        "is_synthetic": bool(u["synthetic"]),
        "year": year,
        "indicator_id": ind,
        "value": value,
        "measure": IND[ind][1],
        "value_state": state,
        "approx": state == "approx",
        "scope": "year",
        "source_kind": "sample" if u["synthetic"] else "report",
        "source_file": "sample" if u["synthetic"] else "reports/马村区/2023/马村区2023.txt",
        "locator": "para 3",
        "evidence": evidence or ("" if value is None else f"{u['name']}{year}年{IND[ind][0]}{value}"),
        "fact_id": f"{unit_id}:{year}:{ind}",
        "precedence_rank": 1,
    }


def make_processed(root: Path, district_name: str = "示例一区", evidence: str = "") -> Path:
    """Write a small but complete data/processed tree (observations, facts, findings, metrics …) under ``root``."""
    units = units_frame(district_name)
    obs = [
        _obs_row(units, "jiaozuo-macun", 2023, "med_success_rate", 97.5, "exact", evidence or "调解成功率达97.5%"),
        _obs_row(units, "jiaozuo-macun", 2023, "lit_lost", 0.0, "zero_in_words", "无败诉案件"),
        _obs_row(units, "jiaozuo-macun", 2023, "nd_issued", 7.0, "exact", "出台行政规范性文件7件"),
        _obs_row(units, "jiaozuo-macun", 2023, "nd_filed", 7.0, "exact", "备案7件"),
        _obs_row(units, "jiaozuo-macun", 2023, "enf_certificates_new", None, "not_reported"),
    ]
    for k, d in enumerate(["demo-d1", "demo-d2", "demo-d3"]):
        for year in (2022, 2023):
            obs.append(_obs_row(units, d, year, "nd_issued", 10.0 + k + year % 2, "exact"))
            obs.append(_obs_row(units, d, year, "nd_filed", 8.0 + k, "approx"))
            obs.append(_obs_row(units, d, year, "med_success_rate", 90.0 + k * 2 + year % 2, "exact"))
            obs.append(_obs_row(units, d, year, "enf_certificates_new", 20.0 + k * 5, "exact"))
    for s, v in (("demo-d1-s1", 12.0), ("demo-d1-s2", 4.0), ("demo-d1-s3", None)):
        obs.append(_obs_row(units, s, 2023, "enf_certificates_new", v, "exact" if v is not None else "not_reported"))
    obs = pd.DataFrame(obs)
    obs["value"] = obs["value"].astype("Float64")
    districts = ["jiaozuo-macun", "demo-d1", "demo-d2", "demo-d3"]
    areas = ["p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall"]
    scores, ranks = [], []
    for k, d in enumerate(districts):
        for year in (2022, 2023):
            if d == "jiaozuo-macun" and year == 2022:
                continue
            for j, a in enumerate(areas):
                score = 50.0 + 10 * k + j * 3 + (year - 2022) * (4 if k % 2 else 0.5)
                scores.append([d, year, a, score, 3, 4, 0.75, False, "equal"])
                allowed = d != "jiaozuo-macun"
                ranks.append(
                    [
                        d,
                        year,
                        a,
                        "demo" if allowed else "jiaozuo",
                        k if allowed else pd.NA,
                        3 if allowed else 1,
                        50.0,
                        allowed,
                        "" if allowed else "同组区县不足3个",
                    ]
                )
    area_scores = pd.DataFrame(
        scores,
        columns=["unit_id", "year", "area", "score", "n_used", "n_total", "coverage", "approx_any", "weights_source"],
    )
    ranks = pd.DataFrame(
        ranks,
        columns=["unit_id", "year", "area", "peer_group", "rank", "n_peers", "percentile", "rank_allowed", "reason"],
    )
    ranks["rank"] = ranks["rank"].astype("Int64")
    rates = pd.DataFrame(
        [
            [
                "jiaozuo-macun",
                2023,
                "med_success_rate",
                "med_successes",
                "med_cases",
                230.0,
                236.0,
                97.46,
                94.6,
                98.8,
                False,
                "computed",
                "97.5% (230/236)",
            ],
            [
                "demo-d1",
                2023,
                "med_success_rate",
                "med_successes",
                "med_cases",
                7.0,
                7.0,
                100.0,
                64.6,
                100.0,
                True,
                "computed",
                "100% (7/7)",
            ],
        ],
        columns=[
            "unit_id",
            "year",
            "indicator_id",
            "numerator_id",
            "denominator_id",
            "numerator",
            "denominator",
            "rate",
            "ci_low",
            "ci_high",
            "approx",
            "source",
            "label",
        ],
    )
    changes = pd.DataFrame(
        [
            ["demo-d1", 2023, "nd_issued", 2022, 10.0, 11.0, 1.0, 10.0, "up", False, "neutral", False],
            ["demo-d2", 2023, "nd_issued", 2022, 11.0, 12.0, 1.0, 9.1, "up", False, "neutral", False],
            ["demo-d1", 2023, "med_success_rate", 2022, 90.0, 91.0, 1.0, 1.1, "flat", True, "neutral", False],
            ["demo-d2", 2023, "med_success_rate", 2022, 92.0, 95.0, 3.0, 3.3, "up", False, "better", False],
            ["demo-d3", 2023, "enf_certificates_new", 2022, 40.0, 30.0, -10.0, -25.0, "down", False, "worse", False],
        ],
        columns=[
            "unit_id",
            "year",
            "indicator_id",
            "prev_year",
            "prev_value",
            "value",
            "delta",
            "delta_pct",
            "mark",
            "within_neutral_band",
            "better",
            "approx",
        ],
    )
    balance = pd.DataFrame(
        [["demo-d1", 2023, "enf_certificates_new", 2, 4.8, 11.2, 6.4, 10.0, 1, "demo-d1-s2"]],
        columns=[
            "parent_unit_id",
            "year",
            "indicator_id",
            "n_units",
            "p10",
            "p90",
            "spread_p90_p10",
            "target",
            "n_below_target",
            "units_below_target",
        ],
    )
    normalized = pd.DataFrame(
        [["demo-d1", 2023, "nd_filed", 8.0, 50.0, 0.16, True]],
        columns=["unit_id", "year", "indicator_id", "value", "target_or_anchor", "norm", "approx"],
    )
    robustness = pd.DataFrame(
        [["demo-d1", 2023, "demo", 3, 2, 3, 1, True]],
        columns=["unit_id", "year", "peer_group", "base_rank", "min_rank", "max_rank", "rank_range", "stable"],
    )
    facts = pd.DataFrame(
        [
            {
                "doc_id": "d1",
                "fact_id": "d1:10",
                "indicator_id": "med_success_rate",
                "value": 97.5,
                "measure": "%",
                "measure_raw": "%",
                "approx": False,
                "value_state": "exact",
                "scope": "year",
                "level": "own",
                "number_text": "97.5%",
                "span_start": 10,
                "span_end": 15,
                "evidence": evidence or "调解成功率达97.5%",
                "evidence_start": 0,
                "locator": "para 3",
                "keyword": "调解成功率",
                "parent_fact_id": "",
                "source_file": "马村区2023.txt",
            },
            {
                "doc_id": "d1",
                "fact_id": "d1:40",
                "indicator_id": "unmapped",
                "value": 12.0,
                "measure": "场",
                "measure_raw": "场",
                "approx": False,
                "value_state": "exact",
                "scope": "year",
                "level": "own",
                "number_text": "12场",
                "span_start": 40,
                "span_end": 43,
                "evidence": "举办讲座12场",
                "evidence_start": 35,
                "locator": "para 9",
                "keyword": "",
                "parent_fact_id": "",
                "source_file": "马村区2023.txt",
            },
        ]
    )
    findings = pd.DataFrame(
        [["rate_range", "warning", "demo-d1", 2023, "med_success_rate", f"比率超出范围 {PAYLOAD}", "sample", "", ""]],
        columns=["rule", "severity", "unit_id", "year", "indicator_id", "message", "source_file", "locator", "detail"],
    )
    conflicts = pd.DataFrame(
        [["jiaozuo-macun", 2023, "nd_filed", 7.0, 6.0, "report", "dataset"]],
        columns=["unit_id", "year", "indicator_id", "value_a", "value_b", "source_a", "source_b"],
    )
    problems = pd.DataFrame(
        [["jiaozuo-macun", 2023, 1, "规范性文件备案审查工作有待加强", "p2_normative_docs"]],
        columns=["unit_id", "year", "problem_no", "text", "area"],
    )
    documents = pd.DataFrame(
        [["data/raw/reports/马村区/2023/r.txt", "ok", "jiaozuo-macun", 2023]],
        columns=["source_file", "status", "unit_id", "year"],
    )
    out = root / "processed"
    (out / "metrics").mkdir(parents=True, exist_ok=True)
    for name, df in {
        "observations": obs,
        "observations_all": obs,
        "facts": facts,
        "findings": findings,
        "conflicts": conflicts,
        "problems": problems,
        "documents": documents,
        "units": units,
    }.items():
        df.to_parquet(out / f"{name}.parquet")
    for name, df in {
        "rates": rates,
        "changes": changes,
        "normalized": normalized,
        "area_scores": area_scores,
        "ranks": ranks,
        "balance": balance,
        "robustness": robustness,
    }.items():
        df.to_parquet(out / "metrics" / f"{name}.parquet")
    return out
