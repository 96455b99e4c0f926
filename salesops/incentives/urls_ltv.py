"""Incentives pages: the LTV leaderboard (SPEC I6)."""

from django.urls import path

from .views import ltv

urlpatterns: list = [
    path("ltv/", ltv.ltv_board_page, name="ltv_board"),
    path("ltv/export/", ltv.ltv_board_export, name="ltv_board_export"),
]
