"""Number surfaces: normalisation, Chinese numerals, 万/亿 scaling, money, approximation markers."""

from __future__ import annotations

import pytest

from analysis.ingest.reports.numbers import (
    NUMBER_RE,
    iter_quantities,
    normalize,
    parse_chinese_numeral,
    quantity_from_match,
)


def quantities(text: str) -> list[tuple[str, float, str, bool]]:
    """(surface, value, measure_raw, approx) of every quantity in text."""
    return [(text[q.start : q.end], q.value, q.measure_raw, q.approx) for q, _ in iter_quantities(normalize(text))]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十五", 25),
        ("一百", 100),
        ("一百零五", 105),
        ("一千", 1000),
        ("一万", 10000),
        ("三万五千", 35000),
        ("六十", 60),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert parse_chinese_numeral(numeral) == value


@pytest.mark.parametrize("name", ["十四五", "一二三", "八五", ""])
def test_digit_strings_are_names_not_numbers(name: str) -> None:
    assert parse_chinese_numeral(name) is None


def test_normalize_keeps_length_and_offsets() -> None:
    text = "共办理案件１２３件，占比９７．５％（全年）"
    norm = normalize(text)
    assert len(norm) == len(text)
    assert "123件,占比97.5%(全年)" in norm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("培训3场", [("3场", 3, "场", False)]),
        ("组织三场培训", [("三场", 3, "场", False)]),
        ("开展两次检查", [("两次", 2, "次", False)]),
        ("开展十余次", [("十余次", 10, "次", True)]),
        ("选派一百名", [("一百名", 100, "名", False)]),
        ("参训2.5万多名干部", [("2.5万多名", 25000, "万名", True)]),
        ("服务1.3万人次", [("1.3万人次", 13000, "万人次", False)]),
        ("办理57.95万件", [("57.95万件", 579500, "万件", False)]),
        ("办理 57.95 万件", [("57.95 万件", 579500, "万件", False)]),
        ("开展16 次", [("16 次", 16, "次", False)]),
        ("涉及金额589余万元", [("589余万元", 589, "万元", True)]),
        ("投资95亿元", [("95亿元", 950000, "亿元", False)]),
        ("补贴3000元", [("3000元", 0.3, "元", False)]),
        ("累计17242.5个工作日", [("17242.5个工作日", 17242.5, "个工作日", False)]),
        ("成功率97.5%", [("97.5%", 97.5, "%", False)]),
        ("达99%以上", [("99%以上", 99, "%", True)]),
        ("下降3个百分点", [("3个百分点", 3, "个百分点", False)]),
        ("公开1,528条", [("1,528条", 1528, "条", False)]),
        ("1600多人次", [("1600多人次", 1600, "人次", True)]),
        ("近1000人次", [("1000人次", 1000, "人次", True)]),
        ("约19.2%", [("19.2%", 19.2, "%", True)]),
        ("超80%", [("80%", 80, "%", True)]),
        ("10天左右", [("10天左右", 10, "天", True)]),
        ("超1232万", [("1232万", 12320000, "万", True)]),
    ],
)
def test_number_surfaces(text: str, expected: list) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize("text", ["2023年12月20日", "09:50", "12345热线", "4.0版", "一是", "进一步", "十四五期间"])
def test_bare_numbers_are_not_quantities(text: str) -> None:
    norm = normalize(text)
    assert [quantity_from_match(m, norm) for m in NUMBER_RE.finditer(norm) if quantity_from_match(m, norm)] == []


# --- malformed, implausible, vague and signed surfaces -----------------------------------------------------------


@pytest.mark.parametrize("text", ["办理建议1.2.3件", "办理建议1,2,3件", "办理建议17242.51,528人"])
def test_malformed_digit_runs_are_not_quantities(text: str) -> None:
    assert quantities(text) == []


def test_full_width_comma_separates_it_does_not_glue() -> None:
    text = "增长41.8，121场次"
    got = [(text[q.start : q.end], q.value) for q, _ in iter_quantities(normalize(text), text)]
    assert got == [("121场次", 121)]
    assert quantities("１．２．３件") == []  # full-width digits and dots glue like ASCII ones


def test_implausibly_long_digit_runs_are_not_quantities() -> None:
    assert quantities("办理建议99999999999999999999件") == []
    assert quantities("办理建议1234567890123件") == []  # 13 integer digits
    assert quantities("办理建议123456789012件") == [("123456789012件", 123456789012, "件", False)]  # 12 digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开展十几次培训", [("十几次", 10, "次", True)]),
        ("服务二十几万人", [("二十几万人", 200000, "万人", True)]),
    ],
)
def test_shi_ji_is_an_approximate_lower_bound(text: str, expected: list) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize("text", ["办理建议几十件", "开展数十次培训", "服务数百人", "几千人次", "数万人"])
def test_vague_magnitudes_are_skipped(text: str) -> None:
    assert quantities(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("办理建议-5件", [("-5件", -5, "件", False)]),
        ("办理建议－5件", [("－5件", -5, "件", False)]),
        ("同比下降-10%", [("-10%", -10, "%", False)]),
        ("-3.5万元", [("-3.5万元", -3.5, "万元", False)]),
        ("约-5件", [("-5件", -5, "件", True)]),
        ("办理 -5件", [("-5件", -5, "件", False)]),
        ("办理-0件", [("-0件", 0, "件", False)]),
    ],
)
def test_minus_sign_before_digits_is_kept(text: str, expected: list) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-2025年办理建议5件", [("5件", 5, "件", False)]),
        ("1-10月办理5件", [("5件", 5, "件", False)]),
        ("每起5件-10件", [("5件", 5, "件", False), ("10件", 10, "件", False)]),
        ("每起5件 - 10件", [("5件", 5, "件", False), ("10件", 10, "件", False)]),
        ("2021 - 2025年办理5件", [("5件", 5, "件", False)]),
        ("三-五人", [("五人", 5, "人", False)]),
        ("A-5件", [("5件", 5, "件", False)]),
    ],
)
def test_range_dash_is_not_a_minus_sign(text: str, expected: list) -> None:
    assert quantities(text) == expected
