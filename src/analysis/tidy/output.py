"""Writing a build: every table (parquet, some also CSV) and the manifest into a new version folder, switched in as
one step by analysis.core.io.new_version.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core.io import fault_point, guard_not_raw, new_version, write_csv


def _to_parquet(df: pd.DataFrame, path: Path) -> None:
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object:
            sample = df[col].dropna()
            if len(sample) and not all(isinstance(v, str) for v in sample.head(50)):
                if all(isinstance(v, (list, tuple)) for v in sample.head(50)):
                    df[col] = df[col].map(lambda v: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                else:
                    df[col] = df[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    df.to_parquet(path, index=False)


def write_outputs(
    tables: dict[str, pd.DataFrame], processed_dir: Path, manifest: dict, csv: tuple[str, ...]
) -> list[Path]:
    """Write every table (and the manifest) into a new version folder; then data/processed switches to it in one
    step (analysis.core.io.new_version), so readers see the previous complete set or this one, never a mix. Returns the
    paths of the written files under data/processed (they resolve through the ``current`` link)."""
    processed_dir = guard_not_raw(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    with new_version(processed_dir) as stage:
        for name, df in tables.items():
            target = stage / f"{name}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            _to_parquet(df, target)
            fault_point(f"table {name}", target)
            if name in csv:
                write_csv(df, stage / f"{name}.csv", index=False, encoding="utf-8-sig")
                fault_point(f"csv {name}", stage / f"{name}.csv")
        (stage / "build_manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        written = sorted(processed_dir / p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
    return written
