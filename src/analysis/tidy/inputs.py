"""The inputs of a build: which files under data/raw are read (``discover``), their names in findings
(``rel_path``), the hash of data/raw (a build must not change it) and the findings for a file whose reading failed.
"""

from __future__ import annotations

from pathlib import Path

from analysis.core.io import sha256_file
from analysis.core.limits import FileTimeLimit
from analysis.registry.findings import finding

DATASET_SUFFIXES = (".xlsx", ".csv")


UNREADABLE_SUFFIXES = {
    ".xls": "旧版 Excel（.xls）无法读取，请另存为 .xlsx",
    ".xlsm": "带宏的 Excel（.xlsm）不予读取（宏可能执行代码），请另存为 .xlsx",
    ".xlsb": "二进制 Excel（.xlsb）无法读取，请另存为 .xlsx",
    ".doc": "旧版 Word（.doc）无法读取，请另存为 .docx",
    ".wps": "WPS 文字（.wps）无法读取，请另存为 .docx",
    ".et": "WPS 表格（.et）无法读取，请另存为 .xlsx",
    ".ofd": "OFD 版式文件无法读取，请另存为 PDF 或 .docx",
    ".rtf": "RTF 文件无法读取，请另存为 .docx",
    ".odt": "ODT 文件无法读取，请另存为 .docx",
    ".ods": "ODS 文件无法读取，请另存为 .xlsx",
}


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def discover(raw_dir: Path, findings: list | None = None) -> tuple[list[Path], list[Path]]:
    """Report files and dataset files under raw_dir (sidecars, hidden files and notes are not inputs).

    With ``findings`` (a list), every file left out for a reason the user must know is added as an error finding:
    a symlink that leads outside data/raw (refused, never followed), and formats that cannot be read (.xls, .xlsm,
    .doc, .wps, .ofd …)."""
    from analysis.ingest.reports.report import REPORT_SUFFIXES

    raw_real = raw_dir.resolve()
    sink = findings if findings is not None else []

    def visible(p: Path) -> bool:
        return p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)

    def inside(p: Path) -> bool:
        if not p.is_symlink():
            return True
        target = p.resolve()
        if target == raw_real or raw_real in target.parents:
            return True
        rel = rel_path(p, raw_dir)
        sink.append(
            finding(
                "symlink_outside_raw",
                f"{rel} 是指向 data/raw 之外（{target}）的符号链接，已拒绝读取",
                severity="error",
                source_file=rel,
                locator="file",
            )
        )
        return False

    def files(root: Path, suffixes) -> list[Path]:
        if not root.exists():
            return []
        out = []
        for p in sorted(root.rglob("*")):
            if p.is_symlink() and p.is_dir():
                inside(p)  # a linked folder is never walked; one that leads outside is reported
                continue
            if not visible(p):
                continue
            suf = p.suffix.lower()
            if suf in suffixes:
                if inside(p):
                    out.append(p)
            elif suf in UNREADABLE_SUFFIXES:
                rel = rel_path(p, raw_dir)
                sink.append(
                    finding(
                        "unreadable_format",
                        f"{rel}：{UNREADABLE_SUFFIXES[suf]}；未读取",
                        severity="error",
                        source_file=rel,
                        locator="file",
                    )
                )
        return out

    return files(raw_dir / "reports", REPORT_SUFFIXES), files(raw_dir / "datasets", DATASET_SUFFIXES)


def rel_path(path: Path, raw_dir: Path) -> str:
    """A file's name in findings and tables: data/raw/… relative."""
    try:
        return str(Path("data/raw") / path.relative_to(raw_dir))
    except ValueError:
        return str(path)


def unexpected_finding(rel: str, exc: BaseException) -> dict:
    """The finding for a file whose reading failed in an unforeseen way: the file is left out, the build goes on."""
    if isinstance(exc, MemoryError):
        why = "内存不足（文件过大或结构异常）"
    elif isinstance(exc, RecursionError):
        why = "嵌套过深"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return finding(
        "unreadable_input",
        f"{rel}：读取失败，已跳过此文件（{why}）",
        severity="error",
        source_file=rel,
        locator="file",
        detail=type(exc).__name__,
    )


def time_limit_finding(rel: str, exc: FileTimeLimit) -> dict:
    return finding(
        "file_time_limit",
        f"{exc}；其余文件照常构建",
        severity="error",
        source_file=rel,
        locator="file",
        detail=f"{exc.seconds:g}s",
    )
