"""Hostile build inputs: each case writes a small data/raw tree (the seed report, its sidecar, a dataset …) with one
fault, and says what the build must do with it. Read by tests/test_hostile_inputs.py.

A case is (name, make, expect): ``make(raw, seed_text, seed_sha)`` writes files under ``raw``; ``expect`` holds
``rule`` (a finding with that rule must name the faulty file), ``severity`` (default error), ``filed`` (whether the
report's values may reach the candidates; default: not checked), ``kind`` (report|dataset|discover|ledger),
``fact`` (a number that must be read from the report: the facts hold it), ``no_fact`` (a number that must not be),
``value`` (the one nd_filed value a dataset keeps) and ``rate`` (the gov_law_exam_pass_rate value kept after the
ledger). Every finding message must be Chinese."""

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


NATURE_HEADER = "单位,上级单位,单位类型,年份,规范性文件备案（件）[nd_filed],数据性质\n"
LEDGER_HEADER = "doc_or_source,unit,year,indicator_id,fact_id,action,value,reason,source,date\n"
LEDGER_DATA = HEADER.rstrip("\n") + f",通过率（%）[{RATE}]\n马村区,,区县,2023,7,95\n"


def ledger_case(rows: str, encoding: str = "utf-8", header: str = LEDGER_HEADER):
    """A dataset (马村区 2023: nd_filed 7, pass rate 95 %) and a corrections ledger beside data/raw."""

    def make(raw, _text, _sha):
        d = raw / "datasets"
        d.mkdir(parents=True, exist_ok=True)
        (d / "d.csv").write_text(LEDGER_DATA, encoding="utf-8")
        (raw.parent / "corrections.csv").write_bytes((header + rows).encode(encoding))

    return make


def docx_case(kind: str):
    def make(raw, text, sha):
        d = raw / REPORT_DIR
        d.mkdir(parents=True, exist_ok=True)
        hostile_docx(d / "r.docx", text, kind)

    return make


_EXTRA_NS = (
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:v="urn:schemas-microsoft-com:vml"'
)


def hostile_docx(path: Path, text: str, kind: str) -> Path:
    """A .docx of the seed report's first lines plus the figure 办理行政复议案件4321件 where a plain paragraph reader
    misses it: kind = table | insertion (a tracked w:ins; a tracked deletion holds 9999件) | textbox (with the
    mc:Fallback copy Word writes) | sdt (a content control)."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    for line in [ln for ln in text.splitlines() if ln.strip()][:6]:
        d.add_paragraph(line)
    figure = "<w:r><w:t>办理行政复议案件4321件</w:t></w:r>"
    if kind == "table":
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "项目", "数量"
        t.cell(1, 0).text, t.cell(1, 1).text = "办理行政复议案件", "4321件"
    elif kind == "insertion":
        p = d.add_paragraph("全年")
        p._p.append(
            parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z">{figure}</w:ins>')
        )
        p._p.append(
            parse_xml(
                f'<w:del {nsdecls("w")} w:id="2" w:author="a" w:date="2024-01-01T00:00:00Z">'
                "<w:r><w:delText>，另有9999件</w:delText></w:r></w:del>"
            )
        )
        p.add_run("。")
    elif kind == "textbox":
        p = d.add_paragraph("见右侧：")
        p._p.append(
            parse_xml(
                f'<w:r {nsdecls("w", "wp", "a")} {_EXTRA_NS}><mc:AlternateContent><mc:Choice Requires="wps">'
                '<w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
                'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
                '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
                '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
                '<wp:extent cx="1000000" cy="500000"/><wp:wrapNone/><wp:docPr id="1" name="box"/>'
                '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
                f"<wps:wsp><wps:txbx><w:txbxContent><w:p>{figure}</w:p></w:txbxContent></wps:txbx><wps:bodyPr/>"
                "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict>"
                f"<v:shape><v:textbox><w:txbxContent><w:p>{figure}</w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
                "</mc:Fallback></mc:AlternateContent></w:r>"
            )
        )
    elif kind == "sdt":
        sdt = parse_xml(f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p>{figure}</w:p></w:sdtContent></w:sdt>")
        d.element.body.insert(len(d.element.body) - 1, sdt)
    d.save(str(path))
    return path


def html_table_beside(raw, text, sha):
    paras = "".join(f"<p>{ln}</p>" for ln in text.splitlines()[:30] if ln.strip())
    table = (
        "<table><tr><td>办理行政复议案件</td><td>4321件</td></tr><tr><td>备案规范性文件</td><td>77件</td></tr></table>"
    )
    _report(raw, f"<html><body><div id='content'>{paras}</div><div>{table}</div></body></html>", suffix=".html")


R, D, X, L = "report", "dataset", "discover", "ledger"
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
    (
        "sidecar_anchor_only",
        sidecar_text_case("x: &a 1\ndistrict: 马村区\nyear_covered: 2023\nsha256: @SHA@\n"),
        {"kind": R, "rule": "sidecar_unreadable", "filed": False},
    ),
    (
        "sidecar_invalid_yaml",
        sidecar_text_case("district: [马村区\nyear_covered: 2023\n"),
        {"kind": R, "rule": "sidecar_unreadable", "filed": False},
    ),
    (
        "sidecar_a_list",
        sidecar_text_case("- 马村区\n- 2023\n"),
        {"kind": R, "rule": "sidecar_unreadable", "filed": False},
    ),
    ("sidecar_a_string", sidecar_text_case("马村区 2023\n"), {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    (
        "sidecar_python_tag",
        sidecar_text_case("district: !!python/object/apply:os.system [echo hi]\n"),
        {"kind": R, "rule": "sidecar_unreadable", "filed": False},
    ),
    ("sidecar_gbk", sidecar_gbk, {"kind": R, "rule": "sidecar_unreadable", "filed": False}),
    (
        "sidecar_huge",
        sidecar_text_case("district: 马村区\nnote: " + "x" * (1 << 20) + "\n"),
        {"kind": R, "rule": "sidecar_unreadable", "filed": False},
    ),
    # real and fictional
    ("real_report_fictional_unit", fictional_report, {"kind": R, "rule": "synthetic_unit_in_reports", "filed": False}),
    (
        "synthetic_claim_real_unit",
        synthetic_claim,
        {"kind": R, "rule": "synthetic_claim_for_real_unit", "filed": False},
    ),
    (
        "dataset_fictional_rows",
        dataset_case(HEADER + "马村区,,区县,2023,7\n示例一区,,区县,2023,5\n"),
        {"kind": D, "rule": "synthetic_unit_in_dataset"},
    ),
    # documents
    (
        "pdf_user_password",
        lambda raw, t, h: bytes_case(str(REPORT_DIR / "r.pdf"), _encrypted_pdf("secret"))(raw, t, h),
        {"kind": R, "rule": "unreadable_document", "match": "加密的 PDF：需要打开密码"},
    ),
    (
        "pdf_owner_password_only",
        lambda raw, t, h: bytes_case(str(REPORT_DIR / "r.pdf"), _encrypted_pdf(""))(raw, t, h),
        {"kind": R, "rule": "unreadable_document", "match": "扫描版 PDF"},
    ),
    ("html_deep_nesting", deep_html, {"kind": R, "rule": "unreadable_document", "filed": False}),
    ("html_body_in_script", script_body, {"kind": R, "rule": "document_warning", "severity": "warning"}),
    (
        "docx_garbage",
        bytes_case(str(REPORT_DIR / "r.docx"), _zip({"x": "y"})),
        {"kind": R, "rule": "unreadable_document"},
    ),
    # unreadable formats and symlinks
    *[
        (
            f"format_{suf.strip('.')}",
            bytes_case(f"{where}/x{suf}", b"\xd0\xcf\x11\xe0junk"),
            {"kind": X, "rule": "unreadable_format"},
        )
        for suf, where in (
            (".xls", "datasets"),
            (".xlsm", "datasets"),
            (".xlsb", "datasets"),
            (".et", "datasets"),
            (".ods", "datasets"),
            (".doc", "reports"),
            (".wps", "reports"),
            (".ofd", "reports"),
            (".rtf", "reports"),
            (".odt", "reports"),
            (".DOC", "reports"),
            (".XLS", "datasets"),
        )
    ],
    ("symlink_file_outside", symlink_out, {"kind": X, "rule": "symlink_outside_raw"}),
    ("symlink_folder_outside", symlink_dir_out, {"kind": X, "rule": "symlink_outside_raw"}),
    # datasets
    (
        "csv_field_over_limit",
        dataset_case(HEADER + "马村区,,区县,2023," + "9" * 200_000 + "\n"),
        {"kind": D, "rule": "unreadable_dataset"},
    ),
    (
        "csv_unbalanced_quote",
        dataset_case(HEADER + '马村区,,区县,2023,"7\n中站区,,区县,2023,3\n'),
        {"kind": D, "rule": "csv_unbalanced_quote"},
    ),
    ("csv_inf", dataset_case(HEADER + "马村区,,区县,2023,inf\n"), {"kind": D, "rule": "text_in_number_cell"}),
    (
        "csv_huge_number",
        dataset_case(HEADER + "马村区,,区县,2023," + "9" * 400 + "\n"),
        {"kind": D, "rule": "non_finite_value"},
    ),
    ("csv_absurd", dataset_case(HEADER + "马村区,,区县,2023,1000000000000000\n"), {"kind": D, "rule": "absurd_value"}),
    (
        "csv_1e308_jian",
        dataset_case(HEADER + "马村区,,区县,2023,1e308件\n"),
        {"kind": D, "rule": "text_in_number_cell", "no_value": 308},
    ),
    ("csv_no_header", dataset_case("a,b\n1,2\n"), {"kind": D, "rule": "unreadable_dataset"}),
    ("csv_binary", dataset_case("\x00\x01\x02" * 100), {"kind": D, "rule": "unreadable_dataset"}),
    ("csv_gbk_ok", dataset_case(HEADER + "马村区,,区县,2023,7\n", encoding="gbk"), {"kind": D, "rule": None}),
    ("xlsx_styled_last_cell", xlsx_case(_styled_last), {"kind": D, "rule": None, "value": 7}),
    (
        "xlsx_hidden_named_sheet",
        xlsx_case(_hidden_named),
        {"kind": D, "rule": "hidden_sheet_skipped", "severity": "info", "value": 7},
    ),
    (
        "xlsx_hidden_first_sheet",
        xlsx_case(_hidden_first),
        {"kind": D, "rule": "hidden_sheet_skipped", "severity": "info", "value": 7},
    ),
    ("xlsx_formula_no_cache", xlsx_case(_formula), {"kind": D, "rule": "formula_without_value"}),
    ("xlsx_very_hidden_data", xlsx_case(_very_hidden_data), {"kind": D, "rule": "unreadable_dataset"}),
    ("xlsx_fraction_rates", xlsx_case(_fraction), {"kind": D, "rule": "rate_as_fraction"}),
    ("xlsx_too_wide", xlsx_case(_wide), {"kind": D, "rule": "unreadable_dataset"}),
    ("xlsx_not_a_zip", bytes_case("datasets/d.xlsx", b"PK\x03\x04broken"), {"kind": D, "rule": "unreadable_dataset"}),
    (
        "xlsx_zip_no_workbook",
        bytes_case("datasets/d.xlsx", _zip({"a.txt": "b"})),
        {"kind": D, "rule": "unreadable_dataset"},
    ),
    # real and fictional in datasets: refused before any value changes
    (
        "dataset_all_sample_units",
        dataset_case(HEADER + "示例一区,,区县,2023,99\n示例二区,,区县,2023,98\n"),
        {"kind": D, "rule": "sample_unit_in_dataset"},
    ),
    (
        "dataset_sample_units_marked",
        dataset_case(NATURE_HEADER + "示例一区,,区县,2023,99,示例数据（模拟）\n"),
        {"kind": D, "rule": "sample_unit_in_dataset"},
    ),
    (
        "dataset_real_unit_marked_fictional",
        dataset_case(NATURE_HEADER + "马村区,,区县,2023,99,示例数据（模拟）\n"),
        {"kind": D, "rule": "synthetic_claim_for_real_unit"},
    ),
    (
        "dataset_marked_and_plain_rows",
        dataset_case(NATURE_HEADER + "马村区,,区县,2023,7,\n中站区,,区县,2023,99,示例数据（模拟）\n"),
        {"kind": D, "rule": "synthetic_claim_for_real_unit", "value": 7},
    ),
    # the corrections ledger: a bad line is refused with a finding, never applied
    (
        "ledger_gbk",
        ledger_case(",马村区,2023,nd_filed,,override,8,报告笔误,区司法局函,2024-03-02\n", "gbk"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_year_float",
        ledger_case(",马村区,2023.0,nd_filed,,override,8,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_year_true",
        ledger_case(",马村区,true,nd_filed,,override,8,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_impossible_date",
        ledger_case(",马村区,2023,nd_filed,,override,8,笔误,函,2024-02-30\n"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_month_13",
        ledger_case(",马村区,2023,nd_filed,,override,8,笔误,函,2024-13-01\n"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_rate_over_100",
        ledger_case(f",马村区,2023,{RATE},,override,5000,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "correction_out_of_range", "rate": 95},
    ),
    (
        "ledger_rate_negative",
        ledger_case(f",马村区,2023,{RATE},,override,-5,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "correction_out_of_range", "rate": 95},
    ),
    (
        "ledger_count_negative",
        ledger_case(",马村区,2023,nd_filed,,override,-3,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "correction_out_of_range", "value": 7},
    ),
    (
        "ledger_count_absurd",
        ledger_case(",马村区,2023,nd_filed,,override,1e15,笔误,函,2024-03-02\n"),
        {"kind": L, "rule": "correction_out_of_range", "value": 7},
    ),
    (
        "ledger_bad_header",
        ledger_case(
            ",马村区,2023,nd_filed,,override,8,笔误,函,2024-03-02\n", header=LEDGER_HEADER.replace("reason", "note")
        ),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    ("ledger_binary", ledger_case("\x00\x01\x02" * 50), {"kind": L, "rule": "ledger_schema", "value": 7}),
    (
        "ledger_eleven_fields",
        ledger_case(",马村区,2023,nd_filed,,override,8,笔误,有逗号,的依据,2024-03-02\n"),
        {"kind": L, "rule": "ledger_schema", "value": 7},
    ),
    (
        "ledger_one_bad_line_of_two",
        ledger_case(
            ",马村区,2023,nd_filed,,override,8,笔误,函,2024-03-02\n"
            f",马村区,2023,{RATE},,override,96,笔误,函,2024-02-30\n"
        ),
        {"kind": L, "rule": "ledger_schema", "value": 8, "rate": 95},
    ),
    # numbers where a plain reader misses them: read, or a finding says they were not
    ("docx_table_numbers", docx_case("table"), {"kind": R, "rule": None, "fact": 4321}),
    (
        "docx_tracked_insertion",
        docx_case("insertion"),
        {"kind": R, "rule": "document_warning", "severity": "warning", "fact": 4321, "no_fact": 9999},
    ),
    ("docx_text_box", docx_case("textbox"), {"kind": R, "rule": None, "filed": True, "fact": 4321, "once": True}),
    ("docx_content_control", docx_case("sdt"), {"kind": R, "rule": None, "filed": True, "fact": 4321}),
    (
        "html_table_beside_article",
        html_table_beside,
        {"kind": R, "rule": "document_warning", "severity": "warning", "fact": 4321},
    ),
]
