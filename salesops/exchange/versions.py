"""Placeholder until the template versions land (the files branch replaces this file)."""

from __future__ import annotations


def current(entity):
    return None


def check_file(entity, table):
    return None, []


def old_names(version) -> dict[str, str]:
    return {}
