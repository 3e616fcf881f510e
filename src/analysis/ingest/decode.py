"""Input bytes → text: the one decoder for report files and CSV datasets.

Order: a BOM wins (UTF-8/UTF-16); then strict UTF-8; then GB18030 (a superset of GBK/GB2312) and Big5 are both tried
strictly and the one whose Chinese characters are more often *common* characters wins (ties go to GB18030); then, for
files mixing encodings, a line-by-line decode (UTF-8, else GB18030, else Big5 per line) with a warning naming the
lines; then charset-normalizer's best guess if it yields Chinese; then, when at most 1 line in 50 is undecodable, those
lines with U+FFFD and a warning naming them. Anything else raises :class:`DecodeError`.

``DecodeError.reason`` (``bom_utf8`` / ``bom_utf16`` / ``undecodable``) and ``position`` let each reader word its own
message; the exception's own message is the report reader's.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable

_HAN = re.compile(r"[\u4e00-\u9fff]")

# The most frequent Chinese characters (simplified); their traditional forms are added at import time. Used only to
# score candidate decodings: a wrong codec produces rare characters, the right one produces common ones.
_COMMON_SIMPLIFIED = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其"
    "些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建"
    "月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接"
    "知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议"
    "声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复"
    "容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往历市克何除消构府称太准精值号率族维划选标写"
    "存候亲快效院查型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该价严龙审核执监督案街道区县"
)


class DecodeError(ValueError):
    """Bytes that no decoding reads cleanly; ``reason`` says why, ``position`` where (byte offset or line number)."""

    def __init__(self, message: str, reason: str, position: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.position = position


@functools.cache
def _common_chars() -> frozenset[str]:
    from opencc import OpenCC

    trad = OpenCC("s2t").convert(_COMMON_SIMPLIFIED)
    return frozenset(_COMMON_SIMPLIFIED) | frozenset(trad)


def _common_score(text: str) -> float:
    han = _HAN.findall(text[:200_000])
    if not han:
        return 0.0
    common = _common_chars()
    return sum(c in common for c in han) / len(han)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def bad_control_share(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:100_000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t\f") or 0xE000 <= ord(c) <= 0xF8FF or c == "\ufffd")
    return bad / len(sample)


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str, list[str]]:
    """Decode input bytes; returns (text, encoding, warnings). Raises DecodeError when nothing decodes cleanly."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{name}：无法解码：有 UTF-8 字节序标记（BOM），但其后不是有效的 UTF-8", "bom_utf8", exc.start
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16")
        if text is None:
            raise DecodeError(f"{name}：以 UTF-16 字节序标记开头，但不是有效的 UTF-16", "bom_utf16")
        return text, "utf-16", []
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8", []
    candidates = [(c, t) for c in ("gb18030", "big5") if (t := _strict(data, c)) is not None]
    if candidates:
        best = max(candidates, key=lambda ct: (_common_score(ct[1]), ct[0] == "gb18030"))
        return best[1], best[0], []
    return _decode_fallback(data, name)


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.I)


def decode_html_bytes(data: bytes, name: str = "<html>") -> tuple[str, str, list[str]]:
    """Decode HTML bytes: valid UTF-8 first (it wins over a declared ``charset``, which mirrors often keep after
    re-encoding), then the declared charset, then :func:`decode_bytes`."""
    html = _strict(data, "utf-8")
    if html is not None:
        return html, "utf-8", []
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else None
    if declared and declared not in ("utf-8", "utf8"):
        codec = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5"}.get(declared, declared)
        html = _strict(data, codec)
        if html is not None:
            return html, codec, []
    return decode_bytes(data, name)


def _decode_fallback(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Line-by-line decoding for files that mix encodings; charset-normalizer as a last resort."""
    lines = data.split(b"\n")
    out: list[str] = []
    used: dict[str, list[int]] = {}
    failed: list[int] = []
    for no, raw in enumerate(lines, start=1):
        for codec in ("utf-8", "gb18030", "big5"):
            t = _strict(raw, codec)
            if t is not None:
                out.append(t)
                used.setdefault(codec, []).append(no)
                break
        else:
            failed.append(no)
            out.append(raw.decode("gb18030", errors="replace"))
    nonblank = [no for no, raw in enumerate(lines, start=1) if raw.strip()]
    if not failed and len(used) > 1:
        minor = {c: ls for c, ls in used.items() if c != "utf-8"}
        where = "；".join(f"{c}：第 {_line_ranges(ls)} 行" for c, ls in minor.items())
        return "\n".join(out), "mixed", [f"混合编码：以 utf-8 为主，{where}"]
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - the library's own failure only means "no guess"
        best = None
    if best is not None and best.encoding:
        text = str(best)
        if bad_control_share(text) < 0.01 and _common_score(text) > 0.3:
            return text, best.encoding, [f"编码由 charset-normalizer 推测为 {best.encoding}"]
    joined = "\n".join(out)
    if failed and len(failed) <= len(nonblank) // 50 and joined.count("\ufffd") <= 0.01 * len(joined):
        return joined, "mixed", [f"无法解码的字节已替换为 U+FFFD：第 {_line_ranges(failed)} 行"]
    first = failed[0] if failed else 1
    raise DecodeError(
        f"{name}：无法解码（不是 UTF-8、GB18030 或 Big5 编码），第一处在第 {first} 行", "undecodable", first
    )


def _line_ranges(nums: Iterable[int], limit: int = 8) -> str:
    nums = list(nums)
    shown = ", ".join(map(str, nums[:limit]))
    return shown + (f" …（共 {len(nums)} 行）" if len(nums) > limit else "")
