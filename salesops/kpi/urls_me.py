"""KPI pages: me (my score, drill-down, comparison, radar) and team (rankings)."""

from .views import me, team

urlpatterns: list = [*me.urlpatterns, *team.urlpatterns]
