"""Database models, engine and migrations (SQLAlchemy 2 + Alembic)."""
