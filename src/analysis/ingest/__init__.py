"""Ingest: report documents → evidence-linked facts; yearly datasets → validated rows."""
