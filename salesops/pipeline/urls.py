"""Deal pages. Each page module declares its own ``urlpatterns``; this joins them."""

from .views import configure, deals, kanban, moves

app_name = "pipeline"

urlpatterns = [
    *deals.urlpatterns,
    *moves.urlpatterns,
    *kanban.urlpatterns,
    *configure.urlpatterns,
]
