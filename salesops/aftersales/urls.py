from django.urls import path

from . import views

app_name = "aftersales"

PREFIXES = {
    "complaint": "complaints",
    "nps": "nps",
    "ticket": "tickets",
    "renewal": "renewals",
}

urlpatterns = []
for kind, prefix in PREFIXES.items():
    options = {"kind": kind}
    urlpatterns += [
        path(f"{prefix}/", views.record_list, options, name=f"{kind}_list"),
        path(f"{prefix}/new/", views.record_create, options, name=f"{kind}_create"),
        path(f"{prefix}/export.<str:fmt>", views.record_export, options, name=f"{kind}_export"),
        path(f"{prefix}/<int:pk>/", views.record_detail, options, name=f"{kind}_detail"),
        path(f"{prefix}/<int:pk>/edit/", views.record_edit, options, name=f"{kind}_edit"),
        path(f"{prefix}/<int:pk>/history/", views.record_history, options, name=f"{kind}_history"),
    ]
