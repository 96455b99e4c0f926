"""Incentives are configured on their own pages (Settings · Incentives, Bonus plans); the
admin only reads the ledger."""
