"""Data-quality findings: Great Expectations suites, finding rules and `marts.dq_issue`."""
