from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from salesops.api import api
from salesops.customers import urls as customer_urls
from salesops.reports import urls as report_urls
from salesops.web import logins as web_logins
from salesops.web import views as web_views

urlpatterns = [
    path("", include("salesops.reports.urls")),
    path("healthz", web_views.healthz, name="healthz"),
    path(
        "favicon.ico",
        RedirectView.as_view(url=f"{settings.STATIC_URL}web/favicon.svg", permanent=True),
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    # One "customers" namespace: the read model's account pages join the app's own
    # (why: salesops/reports/urls.py).
    path(
        "customers/",
        include(([*report_urls.customer_pages, *customer_urls.urlpatterns], "customers")),
    ),
    # The read model's report pages under their own "reports" namespace.
    path("reports/", include((report_urls.report_pages, "reports"))),
    path("settings/logins/", web_logins.locked_logins, name="locked_logins"),
    path("settings/", include("salesops.customization.urls")),
    path("", include("salesops.org.urls")),
    path("notifications/", include("salesops.notifications.urls")),
    path("tasks/", include("salesops.todos.urls")),
    path("automation/", include("salesops.automation.urls")),
    path("leads/", include("salesops.leads.urls")),
    path("deals/", include("salesops.pipeline.urls")),
    path("activities/", include("salesops.activities.urls")),
    path("aftersales/", include("salesops.aftersales.urls")),
    path("revenue/", include("salesops.revenue.urls")),
    path("knowledge/pushes/", include("salesops.knowledge.urls_pushes")),
    path("knowledge/", include("salesops.knowledge.urls")),
    path("targets/", include("salesops.targets.urls")),
    path("kpi/", include("salesops.kpi.urls")),
    path("incentives/", include("salesops.incentives.urls")),
    path("imports/", include("salesops.exchange.urls")),
    path("licence/", include("salesops.licence.urls")),
    path("inbox/", include("salesops.inbox.urls")),
    path("outcomes/", include("salesops.outcomes.urls")),
    path("", include("salesops.field.urls")),
    path("diagnosis/", include("salesops.diagnosis.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
