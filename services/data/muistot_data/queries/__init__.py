"""Read queries of the data service: each list is a fixed number of statements, whatever its length."""
