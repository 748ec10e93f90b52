"""Muistot users service."""
