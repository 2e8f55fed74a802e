"""Alembic's migration environment, shipped inside the package so `python -m bot` needs no alembic.ini."""
