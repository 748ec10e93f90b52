"""Content rules shared by the data and admin services: roles, visibility, language, cache generations."""
