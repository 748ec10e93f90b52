"""Muistot common library shared by the login, users, admin and data services."""
