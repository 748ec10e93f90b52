"""Muistot data service."""
