"""The SECRET_KEY when none is configured, and what makes a key too weak to run with.

Imported by the settings, so it must not import Django models or settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# The development key SalesOps shipped before it generated one: known to everybody.
OLD_DEV_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - listed to be refused
MIN_LENGTH = 50
MIN_DISTINCT_CHARS = 5


def weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions and tokens with, or ``None`` if it is fine."""
    if key == OLD_DEV_KEY or key.startswith("django-insecure-"):
        return "it is a published development key"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_LENGTH}"
    if len(set(key)) < MIN_DISTINCT_CHARS:
        return f"it has fewer than {MIN_DISTINCT_CHARS} distinct characters"
    return None


def load_or_create(path: Path) -> str:
    """The key stored in ``path``; a new strong one written there (mode 0600) if it is missing.

    The new key is written to a private temporary file that is then hard-linked into place,
    which fails if another process got there first: processes starting together agree on
    one key, and nobody reads a half-written file.
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(64) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()
