"""Tidy: one observations table from facts, datasets and corrections, with findings; the reader for it."""
