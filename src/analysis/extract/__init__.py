"""Extract stage: documents → text (+ locators) → facts.

``analysis.extract.numbers`` finds number surfaces, ``analysis.extract.facts.extract_facts`` turns a report text into
evidence-linked fact rows (``analysis.schema.FACT_COLUMNS``) using the indicator registry.
"""
