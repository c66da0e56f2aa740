"""Great Expectations suites kept as JSON files, one per relation (see quality/suites.py)."""
