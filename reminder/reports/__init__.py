"""Reports: coverage figures from the store, written as a table, CSV, JSON, xlsx or HTML."""
