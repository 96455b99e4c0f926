"""Targets pages: plans, calibration, scenarios and the vote, publishing, adjustments."""

from django.urls import path

from .views import plan_steps, plans

urlpatterns: list = [
    path("", plans.plan_list, name="plan_list"),
    path("plans/", plans.plan_list),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/publish/", plans.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/export/", plans.plan_export, name="plan_export"),
    path("plans/<int:pk>/calibration/", plan_steps.calibration, name="calibration"),
    path("plans/<int:pk>/scenarios/", plan_steps.scenarios, name="scenarios"),
    path(
        "plans/<int:pk>/scenarios/compute/",
        plan_steps.scenarios_compute,
        name="scenarios_compute",
    ),
    path("plans/<int:pk>/scenarios/new/", plan_steps.scenario_edit, name="scenario_create"),
    path(
        "plans/<int:pk>/scenarios/<int:scenario_pk>/edit/",
        plan_steps.scenario_edit,
        name="scenario_edit",
    ),
    path(
        "plans/<int:pk>/scenarios/<int:scenario_pk>/delete/",
        plan_steps.scenario_delete,
        name="scenario_delete",
    ),
    path("plans/<int:pk>/vote/", plan_steps.vote, name="vote"),
    path("plans/<int:pk>/vote/close/", plan_steps.vote_close, name="vote_close"),
    path("plans/<int:pk>/confirm/", plan_steps.baseline_confirm, name="baseline_confirm"),
    path("plans/<int:pk>/adjustments/", plan_steps.adjustments, name="adjustments"),
    path(
        "plans/<int:pk>/adjustments/<int:adjustment_pk>/decide/",
        plan_steps.adjustment_decide,
        name="adjustment_decide",
    ),
]
