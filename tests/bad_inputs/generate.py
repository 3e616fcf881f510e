"""Generate the byte-level cases of the bad-input corpus (encodings, binary files, .docx, .pdf, .xlsx).

They are generated rather than committed so that no editor or git setting can silently re-encode them. Run as a
script to look at them: ``python tests/bad_inputs/generate.py /tmp/bad_inputs``; the tests call ``generate(dir)``.
Every case is small except ``large.txt``, which ``large_text`` writes at test time.
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

REPORT = (
    "马村区关于2023年度法治政府建设工作情况的报告\n"
    "现将马村区2023年度法治政府建设工作情况报告如下。\n"
    "一、法治政府建设履职情况\n"
    "办理人大代表建议73件、政协提案121件，满意率均达100%。全年累计主动公开政府信息800余条。\n"
    "2023年执法证新证申领72人，注销18人，197人通过年度审验。\n"
    "二、存在问题\n"
    "（一）规范性文件备案审查有待完善。备案审查存在滞后性。\n"
    "（二）行政执法综合能力有待加强。执法人员数量少。\n"
    "三、下一步工作打算\n"
    "加强执法培训。\n"
    "2024年1月5日\n"
)


def _pdf(pages: list[list[str]], chinese: bool = True) -> bytes:
    """A minimal PDF; each page shows its lines. Chinese text uses a Type0 font with Identity-H and a ToUnicode map
    (CID = Unicode code point), so pypdf extracts exactly the characters written. ``pages=[[]]`` gives a page with
    no text at all (what a scanned PDF looks like to a text extractor)."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    cmap_lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap", b"/CMapName /U def"]
    cmap_lines.append(b"1 begincodespacerange <0000> <FFFF> endcodespacerange")
    ranges = [f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>".encode() for h in range(0x00, 0x100) if h not in range(0xD8, 0xE0)]
    for i in range(0, len(ranges), 100):
        chunk = ranges[i : i + 100]
        cmap_lines += [f"{len(chunk)} beginbfrange".encode(), *chunk, b"endbfrange"]
    cmap_lines += [b"endcmap CMapName currentdict /CMap defineresource pop end end"]
    cmap = b"\n".join(cmap_lines)
    tounicode = add(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor "
        b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >> /DW 1000 >>"
    )
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [%d 0 R] "
        b"/ToUnicode %d 0 R >>" % (descendant, tounicode)
    )
    helv = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids = []
    pages_id_placeholder = len(objs) + 1 + 2 * len(pages)
    for lines in pages:
        ops = []
        for k, line in enumerate(lines):
            y = 780 - 20 * k
            if chinese:
                hexs = "".join(f"{ord(c):04X}" for c in line)
                ops.append(f"BT /F1 12 Tf 40 {y} Td <{hexs}> Tj ET")
            else:
                ops.append(f"BT /F2 12 Tf 40 {y} Td ({line}) Tj ET")
        content = "\n".join(ops).encode("ascii")
        cid = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>" % (pages_id_placeholder, cid, font, helv)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    pages_id = add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)))
    assert pages_id == pages_id_placeholder
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref))
    return out.getvalue()


def _docx(path: Path, with_table: bool = True) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "马村区关于2023年度法治政府建设工作情况的报告"
    for line in REPORT.strip().split("\n")[:5]:
        d.add_paragraph(line)
    if with_table:
        t = d.add_table(rows=3, cols=3)
        t.cell(0, 0).merge(t.cell(0, 1)).text = "行政复议案件（合并表头）"
        t.cell(0, 2).text = "合计"
        for c, v in enumerate(["类别", "撤销", "维持"]):
            t.cell(1, c).text = v
        for c, v in enumerate(["数量", "3件", "12件"]):
            t.cell(2, c).text = v
    d.add_paragraph("2024年1月5日")
    d.save(str(path))


def _xlsx_merged_header(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws["A1"] = "单位"
    ws["B1"] = "年份"
    ws["C1"] = "行政复议"
    ws.merge_cells("C1:D1")  # a merged header cell spanning two indicator columns
    ws["C2"] = "受理（件）"
    ws["D2"] = "纠错（件）"
    ws.append(["马村区", 2023, 12, 3])
    wb.save(str(path))


def generate(dest: Path) -> dict[str, Path]:
    """Write every generated case into ``dest``; returns name → path."""
    dest.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        (dest / name).write_bytes(data)
        out[name] = dest / name

    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(REPORT)
    put("gbk.txt", REPORT.encode("gbk"))
    put("big5_traditional.txt", traditional.encode("big5"))
    put("utf8_bom.txt", b"\xef\xbb\xbf" + REPORT.encode("utf-8"))
    put("utf16.txt", REPORT.encode("utf-16"))
    lines = REPORT.split("\n")
    mixed = [ln.encode("gbk") if i == 3 else ln.encode("utf-8") for i, ln in enumerate(lines)]
    put("mixed_encoding.txt", b"\n".join(mixed))
    put("undecodable.txt", b"\x80\x81\x82\xff\xfe\x80" * 50 + b"\n" + b"\x80\xff\x80\xff" * 50)
    rng = random.Random(7)
    put("binary_junk.txt", bytes(rng.randrange(256) for _ in range(4096)))
    put("control_chars.txt", ("马村区报告" + "\x01\x02\x03\x04" * 20 + "73件\n").encode("utf-8") * 5)
    put("png_named_txt.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    html = (
        '<html><head><meta charset="gbk"><title>马村区关于2023年度法治政府建设工作情况的报告_马村区人民政府</title>'
        "</head><body><div class='nav'>首页 政务公开 办事服务</div><h1>马村区关于2023年度法治政府建设工作情况的报告</h1>"
        + "".join(f"<p>{ln}</p>" for ln in lines[1:] if ln)
        + "<div class='footer'>主办单位：马村区人民政府 备案号 12345</div></body></html>"
    )
    put("gbk_page.html", html.replace('charset="gbk"', 'charset="gb2312"').encode("gbk"))
    _docx(dest / "good_with_table.docx")
    out["good_with_table.docx"] = dest / "good_with_table.docx"
    good = (dest / "good_with_table.docx").read_bytes()
    put("truncated.docx", good[: len(good) // 2])
    put("not_a_zip.docx", "这不是一个docx文件".encode())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "a zip without a Word document inside")
    put("zip_without_document.docx", buf.getvalue())
    put("scanned.pdf", _pdf([[], []]))
    text_pdf = _pdf([lines[0:3], lines[3:6]])
    put("text_layer.pdf", text_pdf)
    put("truncated.pdf", text_pdf[:200])
    put("report.rtf", b"{\\rtf1 not supported}")
    _xlsx_merged_header(dest / "merged_header.xlsx")
    out["merged_header.xlsx"] = dest / "merged_header.xlsx"
    return out


def large_text(path: Path, mb: int = 20) -> Path:
    """A ~``mb`` MB UTF-8 text: the report repeated (a mirror dump)."""
    block = REPORT.encode("utf-8")
    with path.open("wb") as fh:
        for _ in range(mb * 1024 * 1024 // len(block) + 1):
            fh.write(block)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs_generated")
    for name, p in generate(target).items():
        print(f"{name}\t{p.stat().st_size} bytes")
