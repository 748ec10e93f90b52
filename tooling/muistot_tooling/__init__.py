"""Muistot's tooling: what a developer's machine and CI need, never installed in a service image."""
