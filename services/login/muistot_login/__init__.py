"""Muistot login service."""
