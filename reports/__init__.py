"""Static report site of the warehouse (aggregates only) and its render check."""
