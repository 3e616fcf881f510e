"""Extract stage: documents → text (+ locators) → facts.

``analysis.ingest.reports.numbers`` finds number surfaces, ``analysis.ingest.reports.facts.extract_facts`` turns a report text into
evidence-linked fact rows (``analysis.registry.schema.FACT_COLUMNS``) using the indicator registry.
"""
