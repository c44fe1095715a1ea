"""MirrorManager storage on SQLAlchemy 2: SQLite (embedded default) and PostgreSQL (production),
with the full MirrorManager2 schema and Alembic migrations."""
