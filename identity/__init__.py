"""National student IDs: normalisation, Splink scoring, clustering, the ID registry and decisions.

Entry point: `identity.resolve.resolve(settings, run_date)`; see docs/identity.md.
"""
