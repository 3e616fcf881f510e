"""法治政府建设 analysis: report extraction, tidy indicator tables, honest comparisons, papermill reports."""

__version__ = "0.1.0"
