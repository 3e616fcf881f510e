"""Hostile build inputs: each case writes a small data/raw tree (the seed report, its sidecar, a dataset …) with one
fault, and says what the build must do with it. Read by tests/test_hostile_inputs.py.

A case is (name, make, expect): ``make(raw, seed_text, seed_sha)`` writes files under ``raw``; ``expect`` holds
``rule`` (a finding with that rule must name the faulty file), ``severity`` (default error), ``filed`` (whether the
report's values may reach the candidates; default: not checked) and ``kind`` (report|dataset|discover)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

REPORT_DIR = Path("reports/马村区/2023")
HEADER = "单位,上级单位,单位类型,年份,规范性文件备案（件）[nd_filed]\n"
RATE = "gov_law_exam_pass_rate"


def _sidecar(raw: Path, body: str, name: str = "r") -> None:
    d = raw / REPORT_DIR
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.source.yaml").write_text(body, encoding="utf-8")


def _report(raw: Path, text: str, name: str = "r", suffix: str = ".txt") -> Path:
    d = raw / REPORT_DIR
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{name}{suffix}"
    p.write_text(text, encoding="utf-8")
    return p


def _good_sidecar(sha: str, **over) -> str:
    fields = {"district": "马村区", "year_covered": "2023", "sha256": sha}
    fields.update(over)
    return "".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None)


def sidecar_case(**over):
    def make(raw, text, sha):
        _report(raw, text)
        _sidecar(raw, _good_sidecar(sha, **over))

    return make


def sidecar_text_case(body: str):
    def make(raw, text, sha):
        _report(raw, text)
        _sidecar(raw, body.replace("@SHA@", sha))

    return make


def dataset_case(text: str, name: str = "d.csv", encoding: str = "utf-8"):
    def make(raw, _text, _sha):
        d = raw / "datasets"
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(text.encode(encoding))

    return make


def bytes_case(rel: str, data: bytes):
    def make(raw, _text, _sha):
        p = raw / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    return make


def xlsx_case(build):
    def make(raw, _text, _sha):
        from openpyxl import Workbook

        wb = Workbook()
        build(wb)
        d = raw / "datasets"
        d.mkdir(parents=True, exist_ok=True)
        wb.save(d / "d.xlsx")

    return make


def _rows(ws, rows):
    ws.append(["单位", "上级单位", "单位类型", "年份", "规范性文件备案（件）[nd_filed]", f"通过率（%）[{RATE}]"])
    for r in rows:
        ws.append(r)


def _styled_last(wb):
    ws = wb.active
    ws.title = "数据"
    _rows(ws, [["马村区", "", "区县", 2023, 7, None]])
    from openpyxl.styles import Font

    ws.cell(1_048_576, 16_384).font = Font(bold=True)


def _hidden_named(wb):
    ws = wb.active
    ws.title = "数据"
    ws.sheet_state = "hidden"
    _rows(ws, [["马村区", "", "区县", 2023, 999, None]])
    v = wb.create_sheet("数据 ")
    _rows(v, [["马村区", "", "区县", 2023, 7, None]])


def _hidden_first(wb):
    ws = wb.active
    ws.title = "旧"
    ws.sheet_state = "hidden"
    _rows(ws, [["马村区", "", "区县", 2023, 999, None]])
    v = wb.create_sheet("填报")
    _rows(v, [["马村区", "", "区县", 2023, 7, None]])


def _formula(wb):
    ws = wb.active
    ws.title = "数据"
    _rows(ws, [["马村区", "", "区县", 2023, "=3+4", None]])


def _very_hidden_data(wb):
    ws = wb.active
    ws.title = "数据"
    _rows(ws, [["马村区", "", "区县", 2023, 7, None]])
    wb.create_sheet("封面")["A1"] = "封面"
    ws.sheet_state = "veryHidden"


def _fraction(wb):
    ws = wb.active
    ws.title = "数据"
    _rows(ws, [["马村区", "", "区县", 2023, 7, 0.95], ["中站区", "", "区县", 2023, 3, 0.5]])


def _wide(wb):
    ws = wb.active
    ws.title = "数据"
    _rows(ws, [["马村区", "", "区县", 2023, 7, None]])
    ws.cell(2, 1500).value = "x"


def _zip(members: dict[str, str]) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return b.getvalue()


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "district: 马村区\nyear_covered: 2023\nsha256: @SHA@\n" + "\n".join(lines) + "\n"


def _encrypted_pdf(user: str) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
    b = io.BytesIO()
    w.write(b)
    return b.getvalue()


def symlink_out(raw, text, sha):
    outside = raw.parent / "outside.txt"
    outside.write_text(text, encoding="utf-8")
    d = raw / REPORT_DIR
    d.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, d / "r.txt")


def symlink_dir_out(raw, text, sha):
    outside = raw.parent / "elsewhere"
    outside.mkdir()
    (outside / "r.txt").write_text(text, encoding="utf-8")
    (raw / "reports").mkdir(parents=True, exist_ok=True)
    os.symlink(outside, raw / "reports" / "马村区")


def fictional_report(raw, text, sha):
    d = raw / "reports/示例一区/2023"
    d.mkdir(parents=True, exist_ok=True)
    (d / "r.txt").write_text(text.replace("马村区", "示例一区"), encoding="utf-8")
    (d / "r.source.yaml").write_text(f"district: 示例一区\nyear_covered: 2023\nsha256: {sha}\n", encoding="utf-8")


def synthetic_claim(raw, text, sha):
    _report(raw, text)
    _sidecar(raw, _good_sidecar(sha, synthetic="true"))


def script_body(raw, text, sha):
    body = "\\n".join(text.splitlines())
    html = f"<html><head><title>x</title><script>var body = '{body}';</script></head><body><p>加载中</p></body></html>"
    _report(raw, html, suffix=".html")


def deep_html(raw, text, sha):
    _report(raw, "<html><body>" + "<div>" * 3000 + text + "</div>" * 3000 + "</body></html>", suffix=".html")


def sidecar_gbk(raw, text, sha):
    _report(raw, text)
    d = raw / REPORT_DIR
    (d / "r.source.yaml").write_bytes(_good_sidecar(sha).encode("gbk"))


R, D, X = "report", "dataset", "discover"
CASES: list[tuple[str, object, dict]] = [
    # sidecar year_covered
    ("year_cn_digits", sidecar_case(year_covered="二〇二三"), {"kind": R, "rule": None, "filed": True}),
    ("year_with_nian", sidecar_case(year_covered='"2023年"'), {"kind": R, "rule": None, "filed": True}),
    ("year_with_niandu", sidecar_case(year_covered='"2023年度"'), {"kind": R, "rule": None, "filed": True}),
    ("year_true", sidecar_case(year_covered="true"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_false", sidecar_case(year_covered="false"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_float", sidecar_case(year_covered="2023.0"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_two_digits", sidecar_case(year_covered="23"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_five_digits", sidecar_case(year_covered="20230"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_date", sidecar_case(year_covered="2023-01-01"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_list", sidecar_case(year_covered="[2023, 2024]"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_words", sidecar_case(year_covered="去年"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_cn_tens", sidecar_case(year_covered="二千零二十三"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_missing", sidecar_case(year_covered=None), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("year_null", sidecar_case(year_covered="null"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    # sidecar district
    ("district_list", sidecar_case(district="[马村区, 解放区]"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("district_map", sidecar_case(district="{name: 马村区}"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("district_int", sidecar_case(district="42"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("district_missing", sidecar_case(district=None), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    ("district_unknown", sidecar_case(district="长乐区"), {"kind": R, "rule": "unknown_unit", "filed": False}),
    ("district_bool", sidecar_case(district="yes"), {"kind": R, "rule": "sidecar_schema", "filed": False}),
    # sidecar sha256
    ("sha_zeros_int", sidecar_case(sha256="0" * 64), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    ("sha_missing", sidecar_case(sha256=None), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    ("sha_short", sidecar_case(sha256="abc123"), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    ("sha_wrong", sidecar_case(sha256="a" * 64), {"kind": R, "rule": "sha256_mismatch", "filed": True}),
    ("sha_not_hex", sidecar_case(sha256="z" * 64), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    ("synthetic_not_bool", sidecar_case(synthetic='"no"'), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    ("published_bad", sidecar_case(published="2024-02-30"), {"kind": R, "rule": "sidecar_schema", "filed": True}),
    # sidecar as a file
    ("sidecar_alias_bomb", sidecar_text_case(_alias_bomb()), {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_anchor_only", sidecar_text_case("x: &a 1\ndistrict: 马村区\nyear_covered: 2023\nsha256: @SHA@\n"),
     {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_invalid_yaml", sidecar_text_case("district: [马村区\nyear_covered: 2023\n"),
     {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_a_list", sidecar_text_case("- 马村区\n- 2023\n"), {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_a_string", sidecar_text_case("马村区 2023\n"), {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_python_tag", sidecar_text_case("district: !!python/object/apply:os.system [echo hi]\n"),
     {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_gbk", sidecar_gbk, {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    ("sidecar_huge", sidecar_text_case("district: 马村区\nnote: " + "x" * (1 << 20) + "\n"),
     {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    # real and fictional
    ("real_report_fictional_unit", fictional_report, {"kind": R, "rule": "synthetic_unit_in_reports", "filed": False}),
    ("synthetic_claim_real_unit", synthetic_claim, {"kind": R, "rule": "synthetic_claim_for_real_unit", "filed": False}),
    ("dataset_fictional_rows", dataset_case(HEADER + "马村区,,区县,2023,7\n示例一区,,区县,2023,5\n"),
     {"kind": D, "rule": "synthetic_unit_in_dataset"}),
    # documents
    ("pdf_user_password", lambda raw, t, h: bytes_case(str(REPORT_DIR / "r.pdf"), _encrypted_pdf("secret"))(raw, t, h),
     {"kind": R, "rule": "unreadable_document", "match": "加密的 PDF：需要打开密码"}),
    ("pdf_owner_password_only", lambda raw, t, h: bytes_case(str(REPORT_DIR / "r.pdf"), _encrypted_pdf(""))(raw, t, h),
     {"kind": R, "rule": "unreadable_document", "match": "扫描版 PDF"}),
    ("html_deep_nesting", deep_html, {"kind": R, "rule": "unreadable_document", "filed": False}),
    ("html_body_in_script", script_body, {"kind": R, "rule": "document_warning", "severity": "warning"}),
    ("docx_garbage", bytes_case(str(REPORT_DIR / "r.docx"), _zip({"x": "y"})), {"kind": R, "rule": "unreadable_document"}),
    # unreadable formats and symlinks
    *[
        (f"format_{suf.strip('.')}", bytes_case(f"{where}/x{suf}", b"\xd0\xcf\x11\xe0junk"),
         {"kind": X, "rule": "unreadable_format"})
        for suf, where in (
            (".xls", "datasets"), (".xlsm", "datasets"), (".xlsb", "datasets"), (".et", "datasets"),
            (".ods", "datasets"), (".doc", "reports"), (".wps", "reports"), (".ofd", "reports"), (".rtf", "reports"),
            (".odt", "reports"), (".DOC", "reports"), (".XLS", "datasets"),
        )
    ],
    ("symlink_file_outside", symlink_out, {"kind": X, "rule": "symlink_outside_raw"}),
    ("symlink_folder_outside", symlink_dir_out, {"kind": X, "rule": "symlink_outside_raw"}),
    # datasets
    ("csv_field_over_limit", dataset_case(HEADER + "马村区,,区县,2023," + "9" * 200_000 + "\n"),
     {"kind": D, "rule": "unreadable_dataset"}),
    ("csv_unbalanced_quote", dataset_case(HEADER + '马村区,,区县,2023,"7\n中站区,,区县,2023,3\n'),
     {"kind": D, "rule": "csv_unbalanced_quote"}),
    ("csv_inf", dataset_case(HEADER + "马村区,,区县,2023,inf\n"), {"kind": D, "rule": "text_in_number_cell"}),
    ("csv_huge_number", dataset_case(HEADER + "马村区,,区县,2023," + "9" * 400 + "\n"),
     {"kind": D, "rule": "non_finite_value"}),
    ("csv_absurd", dataset_case(HEADER + "马村区,,区县,2023,1000000000000000\n"), {"kind": D, "rule": "absurd_value"}),
    ("csv_1e308_jian", dataset_case(HEADER + "马村区,,区县,2023,1e308件\n"), {"kind": D, "rule": "text_in_number_cell", "no_value": 308}),
    ("csv_no_header", dataset_case("a,b\n1,2\n"), {"kind": D, "rule": "unreadable_dataset"}),
    ("csv_binary", dataset_case("\x00\x01\x02" * 100), {"kind": D, "rule": "unreadable_dataset"}),
    ("csv_gbk_ok", dataset_case(HEADER + "马村区,,区县,2023,7\n", encoding="gbk"), {"kind": D, "rule": None}),
    ("xlsx_styled_last_cell", xlsx_case(_styled_last), {"kind": D, "rule": None, "value": 7}),
    ("xlsx_hidden_named_sheet", xlsx_case(_hidden_named), {"kind": D, "rule": "hidden_sheet_skipped", "severity": "info",
                                                          "value": 7}),
    ("xlsx_hidden_first_sheet", xlsx_case(_hidden_first), {"kind": D, "rule": "hidden_sheet_skipped",
                                                          "severity": "info", "value": 7}),
    ("xlsx_formula_no_cache", xlsx_case(_formula), {"kind": D, "rule": "formula_without_value"}),
    ("xlsx_very_hidden_data", xlsx_case(_very_hidden_data), {"kind": D, "rule": "unreadable_dataset"}),
    ("xlsx_fraction_rates", xlsx_case(_fraction), {"kind": D, "rule": "rate_as_fraction"}),
    ("xlsx_too_wide", xlsx_case(_wide), {"kind": D, "rule": "unreadable_dataset"}),
    ("xlsx_not_a_zip", bytes_case("datasets/d.xlsx", b"PK\x03\x04broken"), {"kind": D, "rule": "unreadable_dataset"}),
    ("xlsx_zip_no_workbook", bytes_case("datasets/d.xlsx", _zip({"a.txt": "b"})), {"kind": D, "rule": "unreadable_dataset"}),
]
