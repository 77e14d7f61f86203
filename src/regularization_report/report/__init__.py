"""What the report reads: merged values, prose helpers, tables, provenance."""
