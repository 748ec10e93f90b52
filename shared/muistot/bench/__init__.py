"""`make bench`: latency tables for the hot paths (not a test: nothing here asserts timings)."""
