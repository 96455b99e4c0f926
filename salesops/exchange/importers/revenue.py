"""Importers for this app's entities (filled by their owners)."""
