"""Incentives pages: statements (my statement, a rep's, a line's "why", the list) and
finance (payout months, approve, payroll export, adjustments)."""

from .views import finance
from .views import statements as statement_views

urlpatterns: list = [*statement_views.urlpatterns, *finance.urlpatterns]
