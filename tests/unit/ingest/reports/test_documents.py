"""analysis.ingest.reports.documents: formats, encodings, normalization, locators and errors on tiny inline files."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest.reports.documents import (
    Document,
    DocumentError,
    decode_bytes,
    fingerprint,
    looks_traditional,
    normalize_text,
    read_document,
)
from conftest import REPO

SEED = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / "000_280033b0075f93d2.txt"
REPORT = "马村区关于2023年度法治政府建设工作情况的报告\n\n办理人大代表建议73件、政协提案121件。\n注销18人。\n"


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def test_seed_report_reads_with_title_and_locators():
    doc = read_document(SEED)
    assert doc.kind == "txt" and doc.raw_encoding == "utf-8" and doc.warnings == []
    assert doc.title == "马村区关于2023年度法治政府建设工作情况的报告"
    assert doc.text == SEED.read_text(encoding="utf-8")  # the seed is already normalized: nothing changes
    assert doc.locate(0) == "para 1"
    assert doc.locate(doc.text.index("分享到")) == "para 3"
    off = doc.text.index("办理人大代表建议73件")
    assert doc.locate(off) == doc.locate(off + 5)  # same paragraph
    assert doc.locate(doc.text.index("存在问题")) != doc.locate(off)


def test_locate_between_and_after_paragraphs():
    doc = Document(Path("x.txt"), "ab\n\ncd", "utf-8", "txt", [(0, 2, "para 1"), (4, 6, "para 2")])
    assert [doc.locate(i) for i in range(7)] == ["para 1", "para 1", "para 2", "para 2", "para 2", "para 2", "para 2"]
    assert Document(Path("y.txt"), "", None, "txt").locate(0) == "text"


def test_paragraph_offsets_index_the_text(tmp_path):
    doc = read_document(_write(tmp_path, "r.txt", REPORT))
    for start, end, loc in doc.paragraphs:
        assert doc.text[start:end].strip() and "\n" not in doc.text[start:end]
        assert doc.locate(start) == loc
    assert [p[2] for p in doc.paragraphs] == ["para 1", "para 2", "para 3"]


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda s: s.encode("utf-8"), "utf-8"),
        (lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), "utf-8-sig"),
        (lambda s: s.encode("gbk"), "gb18030"),
        (lambda s: s.encode("gb18030"), "gb18030"),
        (lambda s: s.encode("utf-16"), "utf-16"),
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path, encode, expected):
    doc = read_document(_write(tmp_path, "r.txt", encode(REPORT)))
    assert doc.raw_encoding == expected
    assert doc.text == REPORT


def test_big5_traditional_is_decoded_and_simplified(tmp_path):
    trad = "馬村區關於2023年度法治政府建設工作情況的報告\n辦理人大代表建議73件、政協提案121件。\n"
    doc = read_document(_write(tmp_path, "t.txt", trad.encode("big5")))
    assert doc.raw_encoding == "big5"
    assert doc.text.startswith("马村区关于2023年度法治政府建设工作情况的报告\n办理人大代表建议73件")
    assert any("繁体字已转换为简体" in w for w in doc.warnings)


def test_gbk_bytes_prefer_gb18030_over_big5_even_when_both_decode():
    data = "法治政府建设工作情况报告，办理建议".encode("gbk")
    text, enc, _ = decode_bytes(data)
    assert enc == "gb18030" and text == "法治政府建设工作情况报告，办理建议"


def test_undecodable_bytes_name_the_file_and_line():
    with pytest.raises(DocumentError, match=r"f\.txt：无法解码.*第一处在第 1 行"):
        decode_bytes(b"\x80\xff" * 40, "f.txt")


def test_normalize_maps_fullwidth_but_keeps_chinese_punctuation():
    text, warnings = normalize_text("建议７３件，满意率１００％；（一）ＡＢ：“是”。\r\n\u3000\u200b下一段！？")
    assert text == "建议73件，满意率100%；（一）AB：“是”。\n 下一段！？"
    assert warnings == []


def test_simplified_text_is_not_passed_through_t2s():
    text, warnings = normalize_text("成效显著，著作权保护，乾坤。")
    assert text == "成效显著，著作权保护，乾坤。" and warnings == []
    assert looks_traditional("法治政府建設報告辦理")[0]
    assert not looks_traditional("12345 abc")[0]


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("empty.txt", b"", "空文件"),
        ("blank.txt", b" \n\t\n", "空文件"),
        ("nul.txt", b"abc\x00\x00\x00def" * 100, "二进制"),
        ("zip.txt", b"PK\x03\x04rest", "zip/Office 文件"),
        ("x.rtf", b"{\\rtf1}", "不支持的扩展名 '.rtf'"),
        ("noext", b"text", r"不支持的扩展名 '\(无\)'"),
        ("bad.docx", b"not a zip", "损坏或不完整的 .docx"),
        ("empty.pdf", b"", "空文件"),
        ("junk.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("html.pdf", b"<html>not a pdf</html>", "不是 PDF"),
        ("empty.html", b"", "空文件"),
    ],
)
def test_errors_name_the_file(tmp_path, name, data, match):
    p = _write(tmp_path, name, data)
    with pytest.raises(DocumentError, match=match) as err:
        read_document(p)
    assert str(p) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(DocumentError, match="文件不存在"):
        read_document(tmp_path / "gone.txt")


def test_html_keeps_the_article_and_drops_furniture(tmp_path):
    body = "".join(f"<p>第{i}段：办理人大代表建议{70 + i}件，政协提案121件，满意率均达100%。</p>" for i in range(1, 6))
    html = (
        "<html><head><title>马村区关于2023年度法治政府建设工作情况的报告_门户网站</title>"
        "<script>var hits=555555;</script></head><body><nav>首页 政务公开 网站地图</nav>"
        f"<div class='content'><h1>马村区关于2023年度法治政府建设工作情况的报告</h1>{body}</div>"
        "<div class='footer'>版权所有 网站标识码777777</div></body></html>"
    )
    doc = read_document(_write(tmp_path, "r.html", html))
    assert doc.kind == "html"
    assert doc.title == "马村区关于2023年度法治政府建设工作情况的报告"
    assert "办理人大代表建议71件" in doc.text and "建议75件" in doc.text
    for junk in ("555555", "网站地图", "777777", "版权所有"):
        assert junk not in doc.text
    loc = doc.locate(doc.text.index("建议73件"))
    assert loc.startswith("para ")


def test_html_without_article_falls_back_to_bs4(tmp_path):
    html = "<html><body><table><tr><td>办理人大代表建议73件。</td></tr></table></body></html>"
    doc = read_document(_write(tmp_path, "small.htm", html))
    assert "办理人大代表建议73件。" in doc.text


def test_docx_paragraphs_and_table_cells(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("马村区关于2023年度法治政府建设工作情况的报告")
    d.add_paragraph("")
    d.add_paragraph("办理人大代表建议７３件。")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "行政复议"
    t.cell(1, 0).text = "纠错"
    t.cell(1, 1).text = "3件"
    p = tmp_path / "r.docx"
    d.save(str(p))
    doc = read_document(p)
    assert doc.kind == "docx" and doc.title.startswith("马村区关于2023年度")
    assert "办理人大代表建议73件。" in doc.text
    assert doc.locate(doc.text.index("建议73件")) == "para 2"
    assert doc.locate(doc.text.rindex("3件")) == "table 1, row 2, cell 2"
    assert doc.text.count("行政复议") == 1  # a merged cell is read once


def test_truncated_docx(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("办理人大代表建议73件。")
    p = tmp_path / "r.docx"
    d.save(str(p))
    cut = _write(tmp_path, "cut.docx", p.read_bytes()[:3000])
    with pytest.raises(DocumentError, match="损坏"):
        read_document(cut)


def test_fingerprint_ignores_whitespace_only():
    assert fingerprint("a b\nc") == fingerprint("abc")
    assert fingerprint("建议73件") != fingerprint("建议75件")


def test_spam_injection_is_warned_with_its_paragraph(tmp_path):
    text = "马村区关于2023年度法治政府建设工作情况的报告\n办理建议73件，百家乐开户送58元，政协提案121件。\n"
    doc = read_document(_write(tmp_path, "m.txt", text))
    assert any("垃圾广告" in w and "para 2" in w and str(tmp_path) in w for w in doc.warnings)


def test_small_cap_truncates_with_warning(tmp_path, monkeypatch):
    import analysis.ingest.reports.documents.assemble as documents

    monkeypatch.setattr(documents, "MAX_CHARS", 1000)
    p = _write(tmp_path, "big.txt", ("办理人大代表建议73件。" * 10 + "\n") * 50)
    doc = read_document(p)
    assert len(doc.text) <= 1000 and doc.text.endswith("。")
    assert any("只读取了前 1000" in w for w in doc.warnings)


def test_one_damaged_line_in_a_long_file_is_replaced_with_a_warning(tmp_path):
    lines = [f"第{i}行：办理人大代表建议{i}件。".encode() for i in range(1, 80)]
    lines[40] = b"\x80\xff\x80\xff broken"
    doc = read_document(_write(tmp_path, "damaged.txt", b"\n".join(lines)))
    assert doc.raw_encoding == "mixed"
    assert any("U+FFFD：第 41 行" in w for w in doc.warnings)
    assert "第80行" not in doc.text and "第79行：办理人大代表建议79件。" in doc.text


def test_html_declared_charset_wrong_but_bytes_utf8(tmp_path):
    html = '<html><head><meta charset="gb2312"></head><body><div class="content">'
    html += "<p>办理人大代表建议73件、政协提案121件，满意率均达100%。全年累计主动公开政府信息800余条。</p></div></body></html>"
    doc = read_document(_write(tmp_path, "mirror.html", html.encode("utf-8")))
    assert doc.raw_encoding == "utf-8" and "办理人大代表建议73件" in doc.text


def test_html_wrapped_in_a_header_class_keeps_its_text(tmp_path):
    html = '<html><body><div class="page-header"><p>办理人大代表建议73件、政协提案121件。</p>'
    html += "<p>全年累计主动公开政府信息800余条，回应社会关切。</p></div></body></html>"
    doc = read_document(_write(tmp_path, "wrapped.html", html))
    assert "办理人大代表建议73件" in doc.text
    assert any("保留了这些区块" in w for w in doc.warnings)


def test_utf8_traditional_mirror_is_simplified(tmp_path):
    trad = "馬村區關於2023年度法治政府建設工作情況的報告\n辦理人大代表建議７３件、政協提案121件。\n"
    doc = read_document(_write(tmp_path, "mirror.txt", trad))
    assert doc.raw_encoding == "utf-8"
    assert doc.text == "马村区关于2023年度法治政府建设工作情况的报告\n办理人大代表建议73件、政协提案121件。\n"
    assert doc.title == "马村区关于2023年度法治政府建设工作情况的报告"


def test_enforcement_words_are_not_spam(tmp_path):
    text = "马村区报告\n依法整治非法棋牌室12家，打击网络赌博犯罪，查处虚开代开发票案件3起。\n"
    assert not any("垃圾广告" in w for w in read_document(_write(tmp_path, "ok.txt", text)).warnings)
