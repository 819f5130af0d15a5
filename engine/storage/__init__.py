"""Durable state in SQL through sqlmodel: SQLite by default, PostgreSQL when DATABASE_URL names one."""
