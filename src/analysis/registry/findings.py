"""The one constructor of a finding row (columns ``analysis.registry.schema.FINDING_COLUMNS``).

Every layer that reports a problem — reading report documents and datasets (ingest), building, checking and correcting
the tidy tables (tidy) — builds its rows here, so a finding always has the same keys in the same order and a known
severity.
"""

from __future__ import annotations

from analysis.registry.schema import FINDING_COLUMNS
from analysis.registry.vocabulary import load_vocabulary

# error, warning, info, ok (registry/vocabulary.yaml); "ok" marks a check that passed (e.g. a stated total that equals
# the sum of its parts)
SEVERITIES = load_vocabulary().ids("severities")


def finding(
    rule: str,
    message: str,
    *,
    severity: str,
    unit_id: object = None,
    year: object = None,
    indicator_id: object = None,
    source_file: object = "",
    locator: object = "",
    detail: object = "",
) -> dict:
    """One finding as a dict keyed (and ordered) by ``FINDING_COLUMNS``.

    Raises ValueError for an unknown severity or an empty rule or message: a finding nobody can read is a bug.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"未知的检查级别 severity {severity!r}；应为 {'、'.join(SEVERITIES)} 之一")
    if not rule:
        raise ValueError("检查发现缺少规则名 rule")
    if not message:
        raise ValueError(f"检查发现 {rule!r} 的说明 message 为空")
    row = {
        "rule": rule,
        "severity": severity,
        "unit_id": unit_id,
        "year": year,
        "indicator_id": indicator_id,
        "message": message,
        "source_file": source_file,
        "locator": locator,
        "detail": detail,
    }
    assert list(row) == FINDING_COLUMNS
    return row
