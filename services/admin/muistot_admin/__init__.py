"""Muistot admin service."""
