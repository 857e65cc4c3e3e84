"""Backups and restores of the whole database, and the database's own version (upgrades, downgrades)."""
