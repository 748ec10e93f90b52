"""`make bench`: the real stack under wrk beside reference lines (not a test: nothing here asserts timings)."""
