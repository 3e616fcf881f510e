"""In-process HTML export of an executed notebook: no code cells, small pages.

nbconvert as a CLI process costs 1.2–2.8 s per notebook (it re-imports everything); in-process it costs ~0.05 s. The
page hides every input cell and prompt (``exclude_input=True``), drops cells tagged ``remove-cell`` and outputs of
cells tagged ``remove-output``, and uses the ``basic`` template (~55 KB of markup instead of ~330 KB for ``lab``, most
of which is CSS) wrapped in a minimal standalone HTML page with a small stylesheet.

Pages are self-contained: a chart the notebook shows by file name (batch kernels link charts instead of embedding a
second copy in the .ipynb) is embedded in the page as a ``data:`` URI, so a page mailed or copied on its own still shows
every chart. Only files inside the run's output folder are embedded.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

TEMPLATES = ("basic", "lab")
INDEX_HREF = "../../index.html"  # pages live in reports/<notebook>/<run>/

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
       max-width: 1180px; padding: 0 1em; box-sizing: border-box; color: #222; line-height: 1.6; }
img, svg { max-width: min(100%, 980px); height: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; }
pre { white-space: pre-wrap; background: #f8f8f8; padding: 0.5em; }
nav.back { margin-bottom: 1em; font-size: 0.95em; }
.jp-OutputPrompt, .jp-InputPrompt, .prompt { display: none; }
"""


def _exporter_class() -> type:
    """nbconvert's HTMLExporter without its closing BeautifulSoup pass.

    After rendering, HTMLExporter re-parses the whole page with BeautifulSoup only to add a placeholder ``alt`` to
    images without one and ``tabindex`` to lab-template cells — about a third of the export time, spent in the one
    process that exports every run. Our charts carry their own ``alt`` and pages use the ``basic`` template, so the
    rendered page is returned as it is.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[override]
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter


@lru_cache(maxsize=4)
def _exporter(template: str) -> Any:
    from traitlets.config import Config

    if template not in TEMPLATES:
        raise ValueError(f"template must be one of {TEMPLATES}, got {template!r}")
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    cfg.TemplateExporter.exclude_input = True
    cfg.TemplateExporter.exclude_input_prompt = True
    cfg.TemplateExporter.exclude_output_prompt = True
    cfg.HTMLExporter.exclude_anchor_links = True  # no stray ¶ after every heading
    # validate the notebook once after all preprocessors, not after each of the ~13 (a third of nbconvert's own time)
    cfg.Exporter.optimistic_validation = True
    exporter = _exporter_class()(config=cfg, template_name=template)
    # One "alternative text is missing" warning per chart and page would drown the progress bar.
    exporter.log = logging.getLogger("analysis.batch.export.nbconvert")
    exporter.log.setLevel(logging.ERROR)
    exporter.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
    return exporter


def notebook_title(nb: Any, fallback: str) -> str:
    """The first markdown heading of the notebook, else ``fallback``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        for line in src.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip() or fallback
    return fallback


_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=)(["\'])([^"\']+)\2', re.IGNORECASE)


def embed_images(page: str, base_dir: str | Path) -> str:
    """Replace every relative ``<img src="file.png">`` that names a file inside ``base_dir`` by a data: URI."""
    base = Path(base_dir).resolve()

    def repl(m: re.Match) -> str:
        src = m.group(3)
        if ":" in src or src.startswith(("/", "#")):
            return m.group(0)
        path = (base / unquote(src)).resolve()
        mime = _MIME.get(path.suffix.lower())
        if mime is None or not path.is_file() or not path.is_relative_to(base):
            return m.group(0)
        if mime in ("image/png", "image/svg+xml"):
            from analysis.present.charts.embed import data_uri

            return f"{m.group(1)}{m.group(2)}{data_uri(path)}{m.group(2)}"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{m.group(1)}{m.group(2)}data:{mime};base64,{data}{m.group(2)}"

    return _IMG_SRC.sub(repl, page)


def drop_page_copies(out_dir: str | Path) -> None:
    """Remove the charts' page copies the kernel kept for this run's page (embedded now; never an output)."""
    import shutil

    from analysis.present.charts.embed import PAGE_COPY_DIR

    shutil.rmtree(Path(out_dir) / PAGE_COPY_DIR, ignore_errors=True)


def to_html(
    nb: Any, title: str, template: str = "basic", base_dir: str | Path | None = None, index_href: str | None = None
) -> str:
    """The executed notebook as a standalone HTML page without code cells; with ``base_dir`` (the folder the charts
    were saved in) linked charts are embedded so the page is self-contained; ``index_href`` adds a link back to the
    reports index at the top."""
    body, _ = _exporter(template).from_notebook_node(nb)
    if base_dir is not None:
        body = embed_images(body, base_dir)
    if index_href:
        body = f'<nav class="back"><a href="{html.escape(index_href, quote=True)}">← 返回报告索引</a></nav>\n{body}'
    if template != "basic":
        return body
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
