"""Alembic migrations for the engine's tables (the FIX stores create their own ``fix_`` tables)."""
