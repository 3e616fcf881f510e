import pandas as pd
import pytest

from analysis.registry.findings import SEVERITIES, finding
from analysis.registry.schema import FINDING_COLUMNS


def test_a_finding_has_every_column_in_order_with_defaults():
    row = finding("unknown_unit", "未知单位", severity="error", source_file="a.docx")
    assert list(row) == FINDING_COLUMNS
    assert row == {
        "rule": "unknown_unit",
        "severity": "error",
        "unit_id": None,
        "year": None,
        "indicator_id": None,
        "message": "未知单位",
        "source_file": "a.docx",
        "locator": "",
        "detail": "",
    }
    assert list(pd.DataFrame([row], columns=FINDING_COLUMNS).columns) == FINDING_COLUMNS


def test_a_finding_refuses_an_unknown_severity_or_an_empty_message():
    assert SEVERITIES == ("error", "warning", "info", "ok")
    with pytest.raises(ValueError, match="未知的检查级别"):
        finding("r", "消息", severity="fatal")
    with pytest.raises(ValueError, match="说明 message 为空"):
        finding("r", "", severity="warning")
    with pytest.raises(ValueError, match="缺少规则名"):
        finding("", "消息", severity="info")
