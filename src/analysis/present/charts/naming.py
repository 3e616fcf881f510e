"""Path safety for the chart and page code: the one implementation is analysis.core.io (safe_name, inside,
UnsafePathError); this module only re-exports it for the modules that still import it from here.
"""

from __future__ import annotations

from analysis.core.io import UnsafePathError, inside, safe_name

__all__ = ["UnsafePathError", "inside", "safe_name"]
