"""analysis.tidy.corrections: ledger validation and pure application to facts / observations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.registry.schema import FINDING_COLUMNS
from analysis.tidy.corrections import LEDGER_COLUMNS, CorrectionsError, apply_corrections, load_ledger
from conftest import REPO

HEADER = ",".join(LEDGER_COLUMNS)


def _ledger(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    p = tmp_path / "corrections.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


@pytest.fixture
def observations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["jiaozuo-macun", "jiaozuo-macun", "jiaozuo-zhongzhan"],
            "unit_name": ["马村区", "马村区", "中站区"],
            "year": [2023, 2023, 2023],
            "indicator_id": ["npc_suggestions", "cert_revoked", "npc_suggestions"],
            "value": [73.0, float("nan"), 50.0],
            "value_state": ["exact", "not_reported", "approx"],
            "approx": [False, False, True],
            "source_kind": ["report", "report", "dataset"],
            "source_file": ["data/raw/reports/马村区/2023/000_a.txt", "", "data/raw/datasets/d.xlsx"],
            "locator": ["para 9", "", "数据!3!E"],
            "evidence": ["办理人大代表建议73件", "", ""],
            "fact_id": ["000_a:120", "", ""],
        }
    )


@pytest.fixture
def facts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": ["000_a", "000_a"],
            "fact_id": ["000_a:120", "000_a:200"],
            "indicator_id": ["npc_suggestions", "unmapped"],
            "value": [73.0, 5.0],
            "value_state": ["exact", "exact"],
            "evidence": ["办理人大代表建议73件", "第5次"],
            "locator": ["para 9", "para 10"],
        }
    )


def test_shipped_ledger_is_valid_and_has_no_fake_entries():
    ledger = load_ledger(REPO / "data" / "corrections.csv")
    assert ledger.empty
    assert (REPO / "data" / "corrections.csv").read_text(encoding="utf-8").strip() == HEADER


def test_missing_ledger(tmp_path):
    assert load_ledger(tmp_path / "none.csv").empty
    with pytest.raises(CorrectionsError, match="找不到更正账本"):
        load_ledger(tmp_path / "none.csv", missing_ok=False)


def test_load_valid_rows(tmp_path):
    p = _ledger(
        tmp_path,
        ",jiaozuo-macun,2023,npc_suggestions,,override,75,报告笔误,区人大办 2024-03-01 函,2024-03-02",
        '000_a,,,,000_a:200,drop,,"ordinal, not a count",analyst review,2024-03-02',
    )
    ledger = load_ledger(p)
    assert ledger["action"].tolist() == ["override", "drop"]
    assert ledger.loc[0, "value"] == 75.0 and ledger.loc[0, "year"] == 2023
    assert ledger["line"].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (",马村区,2023,x,,replace,1,r,s,2024-01-01", "第 2 行：未知的操作 action 'replace'"),
        (",马村区,2023,x,,flag,,,s,2024-01-01", "第 2 行：缺少 reason"),
        (",马村区,2023,x,,flag,,r,,2024-01-01", "第 2 行：缺少 source"),
        (",马村区,2023,x,,flag,,r,s,", "第 2 行：缺少 date"),
        (",马村区,2023,x,,flag,,r,s,2024/01/01", "第 2 行：日期 date '2024/01/01' 格式不对"),
        (",马村区,2023,x,,flag,,r,s,2024-02-30", "第 2 行：日期 date '2024-02-30' 不存在"),
        (",马村区,2023,x,,override,,r,s,2024-01-01", "override 需要数值 value"),
        (",马村区,2023,x,,override,七十,r,s,2024-01-01", "override 需要数值 value"),
        (",马村区,2023,x,,override,inf,r,s,2024-01-01", "有限数"),
        (",马村区,2023,x,,drop,5,r,s,2024-01-01", "不带数值 value"),
        (",,,,,flag,,r,s,2024-01-01", "没有给出任何键"),
        (",马村区,23,x,,flag,,r,s,2024-01-01", "年份 year '23' 不是四位整数年份"),
        (",马村区,2023,x,flag,,r,s,2024-01-01", "有 9 个字段"),
    ],
)
def test_invalid_rows_name_file_and_line(tmp_path, row, match):
    p = _ledger(tmp_path, row)
    with pytest.raises(CorrectionsError, match=match) as err:
        load_ledger(p)
    assert str(p) in str(err.value)


def test_bad_header_and_duplicates(tmp_path):
    with pytest.raises(CorrectionsError, match=r"第 1 行：表头应为.*多出的列 \['note'\]"):
        load_ledger(_ledger(tmp_path, header=HEADER + ",note"))
    row = ",马村区,2023,x,,flag,,r,s,2024-01-01"
    with pytest.raises(CorrectionsError, match="第 3 行：与第 2 行的键相同"):
        load_ledger(_ledger(tmp_path, row, row.replace("flag,,r", "drop,,r2")))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="空文件"):
        load_ledger(empty)


def test_line_numbers_count_quoted_newlines(tmp_path):
    p = _ledger(tmp_path, ',马村区,2023,x,,flag,,"two\nlines",s,2024-01-01', ",马村区,2023,y,,flag,,r,s,2024-13-01")
    with pytest.raises(CorrectionsError, match="第 4 行：日期 date"):
        load_ledger(p)


def test_override_on_observations(tmp_path, observations):
    p = _ledger(
        tmp_path,
        ",马村区,2023,npc_suggestions,,override,75,报告笔误,区人大办函,2024-03-02",
        ",jiaozuo-macun,2023,cert_revoked,,override,18,补录,区司法局,2024-03-02",
    )
    before = observations.copy()
    out, findings = apply_corrections(observations, load_ledger(p))
    pd.testing.assert_frame_equal(observations, before)  # pure
    assert out["value"].tolist()[:2] == [75.0, 18.0] and out["value"].iloc[2] == 50.0
    assert out["original_value"].iloc[0] == 73.0 and pd.isna(out["original_value"].iloc[1])
    assert pd.isna(out["original_value"].iloc[2])
    assert out["source_kind"].tolist() == ["correction", "correction", "dataset"]
    assert out["value_state"].tolist() == ["exact", "exact", "approx"]  # not_reported → exact, others kept
    assert out["correction"].iloc[0].startswith("override（更正账本第 2 行）：报告笔误 [区人大办函，2024-03-02]")
    assert list(findings.columns) == FINDING_COLUMNS
    assert findings["rule"].tolist() == ["correction_applied"] * 2
    assert (findings["severity"] == "info").all()
    detail = json.loads(findings["detail"].iloc[0])
    assert detail["original_value"] == 73.0 and detail["new_value"] == 75.0 and detail["ledger"]["line"] == 2
    assert findings["locator"].iloc[0] == "para 9"
    again, _ = apply_corrections(observations, load_ledger(p))
    pd.testing.assert_frame_equal(out, again)  # deterministic: same on every rebuild


def test_drop_and_flag(tmp_path, observations):
    p = _ledger(
        tmp_path,
        "000_a.txt,,,,,flag,,数字待核实,analyst,2024-03-02",
        ",中站区,2023,npc_suggestions,,drop,,重复报送,市司法局,2024-03-02",
    )
    out, findings = apply_corrections(observations, load_ledger(p))
    assert out["unit_id"].tolist() == ["jiaozuo-macun", "jiaozuo-macun"]
    assert out["value"].iloc[0] == 73.0 and out["correction"].iloc[0].startswith("flag（更正账本第 2 行）")
    assert out["correction"].iloc[1] == ""
    assert findings["rule"].tolist() == ["correction_applied", "correction_applied"]
    dropped = json.loads(findings["detail"].iloc[1])
    assert dropped["original_value"] == 50.0 and dropped["ledger"]["action"] == "drop"


def test_unmatched_rows_are_warnings(tmp_path, observations, facts):
    p = _ledger(
        tmp_path,
        ",马村区,2019,npc_suggestions,,flag,,r,s,2024-03-02",
        ",马村区,2023,npc_suggestions,,flag,,r,s,2024-03-02",
    )
    out, findings = apply_corrections(observations, load_ledger(p))
    assert findings["rule"].tolist() == ["correction_unmatched", "correction_applied"]
    assert findings["severity"].tolist() == ["warning", "info"]
    assert "更正账本第 2 行" in findings["message"].iloc[0]
    # a unit/year row never spreads over a facts table, which has neither column
    out, findings = apply_corrections(facts, load_ledger(p))
    pd.testing.assert_frame_equal(out.drop(columns="correction"), facts)
    assert set(findings["rule"]) == {"correction_unmatched"}
    assert "没有 unit_id/unit_name 列" in findings["message"].iloc[0]


def test_facts_by_fact_id_and_doc(tmp_path, facts):
    p = _ledger(
        tmp_path,
        "000_a,,,,000_a:200,drop,,ordinal not a count,analyst,2024-03-02",
        ",,,npc_suggestions,000_a:120,override,75,笔误,区人大办,2024-03-02",
    )
    out, findings = apply_corrections(facts, load_ledger(p))
    assert out["fact_id"].tolist() == ["000_a:120"]
    assert out["value"].iloc[0] == 75.0 and out["original_value"].iloc[0] == 73.0
    assert out["source_kind"].iloc[0] == "correction"
    assert findings["rule"].tolist() == ["correction_applied"] * 2


def test_rows_apply_in_ledger_order(tmp_path, facts):
    p = _ledger(
        tmp_path,
        ",,,,000_a:120,drop,,r,s,2024-03-02",
        ",,,npc_suggestions,,override,75,r,s,2024-03-02",
    )
    out, findings = apply_corrections(facts, load_ledger(p))
    assert "000_a:120" not in out["fact_id"].tolist()
    assert findings["rule"].tolist() == ["correction_applied", "correction_unmatched"]


def test_empty_ledger_is_identity(facts):
    out, findings = apply_corrections(facts, load_ledger(Path("/nonexistent/ledger.csv")))
    pd.testing.assert_frame_equal(out, facts)
    assert findings.empty and list(findings.columns) == FINDING_COLUMNS


def test_duplicate_index_labels_are_handled(tmp_path, facts):
    dup = pd.concat([facts, facts.assign(fact_id=["000_b:1", "000_b:2"], doc_id="000_b")])
    assert not dup.index.is_unique
    p = _ledger(tmp_path, ",,,,000_b:1,override,9,r,s,2024-03-02")
    out, findings = apply_corrections(dup, load_ledger(p))
    assert out["value"].tolist() == [73.0, 5.0, 9.0, 5.0]
    assert out["original_value"].isna().tolist() == [True, True, False, True]
    assert len(findings) == 1 and findings["year"].isna().all()
