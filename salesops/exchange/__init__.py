"""Excel dual track and app templates (SPEC X5, X7): import every entity from a
spreadsheet with a per-row report, entity templates with versions, the whole
configuration as one file, and the shipped industry templates."""
