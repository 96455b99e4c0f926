"""Knowledge pages. Each page module declares its own ``urlpatterns``; this joins them."""

from .views import match, pages, policy

app_name = "knowledge"

urlpatterns = [
    *match.urlpatterns,
    *pages.urlpatterns,
    *policy.urlpatterns,
]
