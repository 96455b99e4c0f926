"""What a configuration section is, and the registry of them.

An item is a plain JSON object. Its natural key (``Section.key``) is how the file, the
preview and other items refer to it ("lead status ``qualified``", "stage ``proposal`` of
pipeline ``standard``"). Items are exported sorted by key and with sorted lists, so the
same configuration always gives the same bytes.
"""

from __future__ import annotations

from typing import Any


class Section:
    """Subclass per kind of configuration and decorate with :func:`register`."""

    name: str = ""  # "custom_fields": the file's key
    label: Any = ""  # gettext_lazy, for the preview page
    # Sections this one's items refer to: applied before it.
    depends: tuple[str, ...] = ()

    def export(self) -> list[dict]:
        """Every item of this installation, sorted by key; no ids, no secrets/tokens."""
        raise NotImplementedError

    def key(self, item: dict) -> str:
        """The item's natural key, unique within the section."""
        raise NotImplementedError

    def references(self, item: dict) -> list[tuple[str, str]]:
        """(section name, key) pairs the item refers to; each must be in the file or
        already in the database, else the preview refuses the file naming it."""
        return []

    def normalise(self, item: dict) -> dict:
        """The item as this section would store it (a layout entry given as a bare field
        name, a choice given as a string), so an item equal in meaning to the
        installation's is "unchanged". May raise on a malformed item: :meth:`validate`
        reports it."""
        return item

    def validate(self, item: dict) -> list[str]:
        """Messages for an item that cannot be applied (a missing or bad value), each
        naming the field and the fix. Empty when it is fine."""
        return []

    def apply(self, item: dict, *, actor) -> str:
        """Create the item or change the existing one with the same key, through the
        owning app's services where there are some. Returns "created", "changed" or
        "unchanged" (an item equal to what :meth:`export` gives must be "unchanged" and
        write nothing). Runs inside the engine's transaction."""
        raise NotImplementedError


_SECTIONS: dict[str, Section] = {}


def register(section_class: type[Section]) -> type[Section]:
    _SECTIONS[section_class.name] = section_class()
    return section_class


def sections() -> list[Section]:
    """Every section, each after the ones it depends on (then by name)."""
    ordered: list[Section] = []
    placed: set[str] = set()
    pending = sorted(_SECTIONS.values(), key=lambda s: s.name)
    while pending:
        progress = False
        for section in list(pending):
            if all(d in placed or d not in _SECTIONS for d in section.depends):
                ordered.append(section)
                placed.add(section.name)
                pending.remove(section)
                progress = True
        if not progress:  # a cycle: keep the rest in name order
            ordered.extend(pending)
            break
    return ordered


def get(name: str) -> Section | None:
    return _SECTIONS.get(name)
