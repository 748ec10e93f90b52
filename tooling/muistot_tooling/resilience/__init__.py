"""`make resilience`: the stack on a MariaDB and a Redis of its own, under load, through faults, fuzzing and
abuse; see the README's "Resilience run" section."""
