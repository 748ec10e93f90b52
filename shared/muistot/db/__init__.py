"""Database access: table definitions, the engine, and the dialect-specific bits."""
