"""KPI configuration is edited on its own pages (Settings · KPI); admin lists are read-only
views for support."""
