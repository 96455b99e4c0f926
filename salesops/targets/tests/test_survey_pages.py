"""The survey page: the anonymous form for those who have not answered, "you have
answered" after, results (hiding small groups) for managers and directors, open/close for
configurers, and the export, which hides small groups too."""

import csv
import io

import pytest
from django.urls import reverse

from salesops.org.models import Role
from salesops.targets.models import SurveyResponse

from .factories_survey import allocate, answer, answers, make_plan

pytestmark = pytest.mark.django_db


def page(plan):
    return reverse("targets:survey", args=[plan.pk])


def test_answer_on_the_page(client, org):
    plan = make_plan(org.east)
    client.force_login(org.rep_a)
    body = client.get(page(plan)).content.decode()
    assert 'data-testid="anonymity-note"' in body and 'data-testid="survey-form"' in body
    assert 'data-testid="survey-results"' not in body
    response = client.post(
        page(plan), {"estimate": "1,2", "reachability": "3", "priority": "renewals"}
    )
    assert response.status_code == 200 and "estimate" in response.context["form"].errors
    response = client.post(
        page(plan), {"estimate": "1200000", "reachability": "3", "priority": "renewals"}
    )
    assert response.status_code == 302
    body = client.get(page(plan)).content.decode()
    assert 'data-testid="answered"' in body and 'data-testid="survey-form"' not in body
    again = client.post(
        page(plan), {"estimate": "5", "reachability": "3", "priority": "renewals"}, follow=True
    )
    assert "You have answered this survey." in again.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_results_for_managers_with_small_groups_hidden(client, org):
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "2000")
    answers(plan, org.east, Role.MANAGER, ["1000", "1000", "1000"])
    answers(plan, org.east, Role.REP, ["1500", "1500", "1500"])
    answers(plan, org.shanghai, Role.REP, ["654321", "654322"])
    client.force_login(org.manager_east)
    response = client.get(page(plan))
    body = response.content.decode()
    assert 'data-testid="survey-table"' in body and 'id="survey-chart-data"' in body
    assert "fewer than 3 answers" in body
    assert "654321" not in body and "654,321" not in body and "654322" not in body
    assert "¥1,500.00" in body
    east = next(t for t in response.context["results"].teams if t.team == org.east)
    assert east.deviation_percent == 25  # |1000 - 1500| / 2000
    assert "needs 5 teams (n = 1)" in body  # East: consensus and attainment (0 %)
    client.force_login(org.rep_b)
    assert 'data-testid="survey-results"' not in client.get(page(plan)).content.decode()


def test_export_hides_small_groups(client, org):
    plan = make_plan(org.company)
    answers(plan, org.east, Role.REP, ["100", "200", "300"])
    answer(plan, org.manager_east, "987654")
    client.force_login(org.director)
    response = client.get(reverse("targets:survey_export", args=[plan.pk, "csv"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Team", "Level", "Answers", "Mean estimate"]
    by_level = {row[1]: row for row in rows[1:]}
    assert by_level["Manager"][2:5] == ["fewer than 3 answers", "", ""]
    assert by_level["Rep"][2:4] == ["3", "200.00"]
    assert "987654" not in text
    xlsx = client.get(reverse("targets:survey_export", args=[plan.pk, "xlsx"]))
    assert xlsx.status_code == 200
    client.force_login(org.rep_a)
    assert client.get(reverse("targets:survey_export", args=[plan.pk, "csv"])).status_code == 403


def test_open_and_close_for_configurers(client, org):
    plan = make_plan(org.east)
    state = reverse("targets:survey_state", args=[plan.pk])
    client.force_login(org.manager_east)
    assert client.post(state, {"action": "close"}).status_code == 403
    client.force_login(org.admin)
    assert 'data-testid="survey-close"' in client.get(page(plan)).content.decode()
    assert client.post(state, {"action": "close"}).status_code == 302
    client.force_login(org.rep_a)
    body = client.get(page(plan)).content.decode()
    assert 'data-testid="closed-note"' in body and 'data-testid="survey-form"' not in body
    client.force_login(org.admin)
    client.post(state, {"action": "open"})
    client.force_login(org.rep_a)
    assert 'data-testid="survey-form"' in client.get(page(plan)).content.decode()


def test_invisible_plan_is_404(client, org):
    plan = make_plan(org.east)
    client.force_login(org.rep_d)
    assert client.get(page(plan)).status_code == 404
