"""The one decoder shared by report files and CSV datasets."""

import pytest

from analysis.ingest.decode import DecodeError, decode_bytes, decode_html_bytes

TEXT = "法治政府建设工作情况报告，办理建议"


def test_bom_utf8_is_stripped_and_named():
    text, enc, warnings = decode_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert (text, enc, warnings) == (TEXT, "utf-8-sig", [])


def test_broken_bom_utf8_gives_reason_and_byte_offset():
    with pytest.raises(DecodeError, match=r"a\.csv：无法解码：有 UTF-8 字节序标记") as info:
        decode_bytes(b"\xef\xbb\xbfab\xff", "a.csv")
    assert (info.value.reason, info.value.position) == ("bom_utf8", 2)


def test_gbk_and_big5_are_told_apart_by_common_characters():
    assert decode_bytes(TEXT.encode("gbk"))[:2] == (TEXT, "gb18030")
    trad = "法治政府建設工作情況報告，辦理建議"
    assert decode_bytes(trad.encode("big5"))[:2] == (trad, "big5")


def test_mixed_lines_decode_with_a_warning_naming_the_lines():
    data = TEXT.encode("utf-8") + b"\n" + TEXT.encode("gbk") + b"\n" + TEXT.encode("utf-8")
    text, enc, warnings = decode_bytes(data)
    assert text.splitlines() == [TEXT, TEXT, TEXT] and enc == "mixed"
    assert warnings == ["混合编码：以 utf-8 为主，gb18030：第 2 行"]


def test_undecodable_reason_and_first_line():
    with pytest.raises(DecodeError) as info:
        decode_bytes(b"\x80\xff" * 40, "f.txt")
    assert (info.value.reason, info.value.position) == ("undecodable", 1)


def test_html_declared_charset_is_tried_but_valid_utf8_wins():
    gbk_page = f'<meta charset="gbk"><p>{TEXT}</p>'.encode("gbk")
    assert decode_html_bytes(gbk_page)[:2] == (f'<meta charset="gbk"><p>{TEXT}</p>', "gb18030")
    utf8_page = f'<meta charset="gbk"><p>{TEXT}</p>'.encode()
    assert decode_html_bytes(utf8_page)[1] == "utf-8"
