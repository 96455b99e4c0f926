"""Settings · Outcomes' backfill as a run with progress: the run row (queued → running →
done or failed), its progress after every week, one run at a time, and the status
partial the page polls."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salesops.outcomes import services
from salesops.outcomes.models import BackfillRun, BackfillState, OutcomePolicy, OutcomeSnapshot

from .conftest import BEFORE, NOW, WEEK, login

pytestmark = pytest.mark.django_db
PROGRESS = re.compile(r'"progress" = (\d+)')


def test_a_run_records_its_progress_after_every_week_then_its_result(history):
    weeks = services.backfill_weeks()
    assert len(weeks) >= 3  # BEFORE … the last complete week
    run = services.backfill_start(actor=history.admin)
    assert (run.state, run.active, run.progress, run.created_by) == (
        BackfillState.QUEUED,
        True,
        0,
        history.admin,
    )

    with CaptureQueriesContext(connection) as captured:
        run = services.backfill_execute(run)

    written = [
        int(m.group(1))
        for q in captured.captured_queries
        if "outcomes_backfillrun" in q["sql"] and q["sql"].startswith("UPDATE")
        for m in [PROGRESS.search(q["sql"])]
        if m
    ]
    n = len(weeks)
    # one progress update per week, as the weeks are done, then the result (100)
    assert written == [round(i * 100 / n) for i in range(1, n + 1)] + [100]
    run.refresh_from_db()
    assert run.state == BackfillState.DONE and not run.active and run.error == ""
    assert (run.weeks, run.progress) == (n, 100)
    assert run.rows == OutcomeSnapshot.objects.count() > 0
    assert run.finished_at == NOW and run.seconds >= 0
    assert {BEFORE, WEEK} <= set(OutcomeSnapshot.objects.values_list("week_start", flat=True))


def test_a_failure_is_kept_on_the_run_and_frees_the_button(history):
    # A settings row written around the settings page (an old import): lists, not per entity.
    OutcomePolicy.objects.update(completeness_fields=["name", "phone"])
    run = services.backfill_execute(services.backfill_start(actor=history.admin))
    run.refresh_from_db()
    assert run.state == BackfillState.FAILED and not run.active
    assert run.error.startswith("AttributeError:")
    assert run.finished_at == NOW
    # not running any more: another may start
    assert services.backfill_start(actor=history.admin).state == BackfillState.QUEUED


def test_a_second_backfill_is_refused_while_one_runs(history, client):
    running = services.backfill_start(actor=history.admin)
    BackfillRun.objects.filter(pk=running.pk).update(state=BackfillState.RUNNING, progress=40)
    with pytest.raises(ValidationError) as refused:
        services.backfill_start(actor=history.director)
    assert "already running" in refused.value.messages[0]
    # two clicks at the same instant: the database keeps one active run
    with pytest.raises(IntegrityError), transaction.atomic():
        BackfillRun.objects.create(created_by=history.admin)

    page = login(client, history.admin).post(reverse("outcomes:backfill"), follow=True)
    assert page.status_code == 200
    assert "A backfill is already running" in page.content.decode()
    assert BackfillRun.objects.count() == 1
    assert not OutcomeSnapshot.objects.exists()  # nothing computed by the refused click


def test_only_configurers_start_one(history):
    with pytest.raises(PermissionDenied):
        services.backfill_start(actor=history.rep_a)
    assert not BackfillRun.objects.exists()


def test_the_settings_page_shows_the_bar_while_it_runs_and_the_result_after(history, client):
    run = services.backfill_start(actor=history.admin)
    BackfillRun.objects.filter(pk=run.pk).update(state=BackfillState.RUNNING, progress=40, weeks=5)
    status_url = reverse("outcomes:backfill_status")
    admin = login(client, history.admin)

    page = admin.get(reverse("outcomes:policy")).content.decode()
    assert 'data-testid="backfill-bar"' in page and 'data-width="40"' in page
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    assert re.search(r'data-testid="backfill"\s+disabled', page)

    partial = admin.get(status_url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "HX-Refresh" not in partial
    assert "Backfill running: 40 % of 5 weeks done." in body and 'hx-get="' in body
    assert "style=" not in body  # CSP: the bar's width comes from data-width (web/app.js)

    services.backfill_execute(BackfillRun.objects.get(pk=run.pk))
    done = admin.get(status_url, HTTP_HX_REQUEST="true")
    body = done.content.decode()
    assert done["HX-Refresh"] == "true"  # finished: the page reloads with the button back
    finished = BackfillRun.objects.get(pk=run.pk)
    assert f"{finished.weeks} weeks, {finished.rows} values written" in body
    assert "hx-get" not in body
    page = admin.get(reverse("outcomes:policy")).content.decode()
    assert not re.search(r'data-testid="backfill"\s+disabled', page)


def test_the_status_partial_is_for_configurers_only(history, client):
    url = reverse("outcomes:backfill_status")
    assert login(client, history.rep_a).get(url).status_code == 403
    assert login(client, history.manager_east).get(url).status_code == 403
    response = login(client, history.admin).get(url)
    assert (
        response.status_code == 200 and 'data-testid="backfill-status"' in response.content.decode()
    )
