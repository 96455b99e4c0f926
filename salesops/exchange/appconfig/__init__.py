"""App templates (SPEC X7): the whole configuration as one versioned JSON file.

A :class:`~.base.Section` per kind of configuration (custom fields, stages, rules …)
exports its items by natural key, never by id and never with a secret, and applies an
item from a file. :mod:`.engine` puts the sections together: export, preview (what would
be created, changed or left, and any reference the file and the database cannot
resolve), apply in one transaction. ``salesops template export|import`` and Settings ·
App templates drive it; ``industry/*.json`` are the shipped industry templates.
"""
