"""After the notebook runs: the leadership outputs that gather across runs — one-page briefs per district, one PDF
per city, the methodology page and reports/index.html linking everything."""

from __future__ import annotations

from pathlib import Path

from analysis import paths


def publish(processed_dir: Path | None = None, reports_dir: Path | None = None) -> dict[str, object]:
    from analysis.metrics import load_config
    from analysis.metrics.methodology import render_methodology
    from analysis.registry import load_indicators
    from analysis.reports.briefs import build_briefs
    from analysis.reports.index import build_index
    from analysis.reports.pages import render_methodology_html

    processed_dir = Path(processed_dir) if processed_dir else paths.processed_dir()
    reports_dir = Path(reports_dir) if reports_dir else paths.reports_dir()
    briefs = build_briefs(processed_dir, reports_dir / "briefs")
    methodology = reports_dir / "methodology.html"
    render_methodology_html(render_methodology(load_indicators(), load_config()), methodology)
    index = build_index(reports_dir)
    return {"briefs": briefs, "methodology": methodology, "index": index}
