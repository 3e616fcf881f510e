"""The parameterized notebooks: committed without outputs, a `parameters` cell with output_dir/processed_dir, and each
one runs through papermill (kernel python3) against a small processed dir, saving its charts into output_dir."""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import pytest

from analysis.core import paths
from processed_dir import PAYLOAD, make_processed

NOTEBOOKS = {
    "district_profile": {"district": "马村区", "year": 2023},
    "district_comparison": {"city": "示例市", "year": 2023, "districts": []},
    "trends": {"district": "示例一区", "years": []},
    "area_deep_dive": {"city": "示例市", "year": 2023, "area": "p3_enforcement"},
    "data_quality": {},
    "review": {"district": "", "year": 0},
}
EXPECTED_CHARTS = {
    "district_profile": ["马村区_2023_rates.png"],
    "district_comparison": ["示例市_2023_overall.png", "示例市_2023_changes.png"],
    "trends": ["示例一区_trend.png"],
    "area_deep_dive": ["示例市_2023_p3_enforcement_scores.png", "示例一区_2023_enf_certificates_new_balance.png"],
    "data_quality": ["findings_sample.png"],
    "review": ["review_counts.png"],
}


def notebook_path(name: str) -> Path:
    return paths.PACKAGE_DIR.parent.parent / "notebooks" / f"{name}.ipynb"


def parameters_cell(nb) -> str:
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_is_committed_clean_with_a_parameters_cell(name):
    nb = nbformat.read(notebook_path(name), as_version=4)
    nbformat.validate(nb)
    source = parameters_cell(nb)
    assert 'output_dir: str = "."' in source and 'processed_dir: str = ""' in source
    for key in NOTEBOOKS[name]:
        assert f"{key}:" in source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "notebooks are committed without outputs"
    assert "seaborn" not in json.dumps(nb)


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return make_processed(tmp_path_factory.mktemp("nbdata"))


def run(name: str, processed_dir: Path, out: Path, **params) -> nbformat.NotebookNode:
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(notebook_path(name)),
        str(out / f"{name}.ipynb"),
        parameters={**params, "output_dir": str(out), "processed_dir": str(processed_dir)},
        kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(out / f"{name}.ipynb", as_version=4)


def outputs(nb, kind: str) -> list[str]:
    found = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            if o.get("output_type") in ("display_data", "execute_result") and kind in o.get("data", {}):
                found.append(o["data"][kind])
            if o.get("output_type") == "stream" and kind == "stream":
                found.append(o["text"])
    return found


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_and_saves_its_charts(name, processed, tmp_path):
    nb = run(name, processed, tmp_path, **NOTEBOOKS[name])
    for chart in EXPECTED_CHARTS[name]:
        stem = chart.removesuffix(".png")
        # leadership charts (the district comparison) also come as SVG and print-ready PDF; analysts' notebook
        # charts are PNG only (issue 11: their SVG copy was unused and cost as much as the PNG)
        for fmt in ("png", "svg", "pdf") if name == "district_comparison" else ("png",):
            assert (tmp_path / f"{stem}.{fmt}").stat().st_size > 1000, f"{stem}.{fmt}"
    assert outputs(nb, "image/png"), "charts are displayed inline"
    assert not [s for s in outputs(nb, "stream") if "missing from" in s.lower() or "glyph" in s.lower()]


@pytest.mark.notebook
def test_profile_notebook_escapes_hostile_names_and_evidence(tmp_path):
    processed = make_processed(tmp_path / "data", district_name=PAYLOAD, evidence=PAYLOAD)
    out = tmp_path / "out"
    nb = run("district_profile", processed, out, district="demo-d1", year=2023)
    markdown = "\n".join(outputs(nb, "text/markdown"))
    tables = "\n".join(outputs(nb, "text/html"))
    assert PAYLOAD not in markdown and html.escape(PAYLOAD) in markdown
    assert "<script>" not in tables
    assert all(p.parent == out for p in out.rglob("*"))  # chart names built from the district name stay in out
