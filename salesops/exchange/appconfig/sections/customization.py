"""App-template sections of this app (filled by their owners)."""
