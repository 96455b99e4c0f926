"""Settings · Pipelines (D1, P2): pages as every role, bad input, stage rules, audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesops.pipeline import configuration
from salesops.pipeline.models import Deal, Pipeline, PipelinePolicy, Stage, StageKind

from .factories import make_deal, stage

pytestmark = pytest.mark.django_db


def stage_data(**overrides):
    data = {
        "code": "pilot",
        "name_zh": "试点",
        "name_en": "Pilot",
        "probability": "50",
        "colour": "cyan",
        "stall_days": "3",
        "required_fields": ["amount"],
        "required_evidence": ["proposal"],
        "activity_visit": "2",
        "needs_approval": "on",
        "next_actions": "约客户\n\n发方案 ",
    }
    data.update(overrides)
    return data


def page_urls(pipeline):
    first = pipeline.open_stages().first()
    return [
        reverse("pipeline:configure"),
        reverse("pipeline:pipeline_create"),
        reverse("pipeline:pipeline_edit", args=[pipeline.pk]),
        reverse("pipeline:stage_create", args=[pipeline.pk]),
        reverse("pipeline:stage_edit", args=[first.pk]),
        reverse("pipeline:stage_edit", args=[stage("won", pipeline).pk]),
        reverse("pipeline:policy"),
    ]


@pytest.mark.parametrize("role", ["admin", "director"])
def test_every_page_opens_for_admins_and_directors(client, org, pipeline, role):
    client.force_login(getattr(org, role))
    for url in page_urls(pipeline):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["rep_a", "manager_east", "finance", "cs"])
def test_everyone_else_gets_403_on_every_page_and_post(client, org, pipeline, role):
    client.force_login(getattr(org, role))
    for url in page_urls(pipeline):
        assert client.get(url).status_code == 403, url
    first = pipeline.open_stages().first()
    assert client.post(reverse("pipeline:pipeline_create"), {"code": "x"}).status_code == 403
    assert client.post(reverse("pipeline:stage_move", args=[first.pk, "down"])).status_code == 403
    assert client.post(reverse("pipeline:stage_delete", args=[first.pk])).status_code == 403
    assert client.post(reverse("pipeline:policy"), {"evidence_max_mb": "1"}).status_code == 403
    assert PipelinePolicy.current().evidence_max_mb == 20


def test_the_list_shows_the_default_pipeline_and_its_stages(client, org, pipeline):
    client.force_login(org.admin)
    body = client.get(reverse("pipeline:configure")).content.decode()
    for name in ("Initial contact", "Needs confirmed", "Proposal submitted", "Demo done"):
        assert name in body


def test_a_new_pipeline_gets_won_and_lost_and_starts_off(client, org, pipeline):
    client.force_login(org.admin)
    response = client.post(
        reverse("pipeline:pipeline_create"),
        {"code": "renewals", "name_zh": "续约", "name_en": "Renewals", "product_line": ""},
    )
    created = Pipeline.objects.get(code="renewals")
    assert response.status_code == 302
    assert response.url == reverse("pipeline:pipeline_edit", args=[created.pk])
    assert not created.is_active
    assert sorted(created.stages.values_list("kind", flat=True)) == ["lost", "won"]
    assert created.history.first().history_user == org.admin


def test_switching_on_a_pipeline_without_5_open_stages_is_refused(client, org, pipeline):
    actor = org.admin
    new = configuration.pipeline_create(actor=actor, code="p2", name_zh="二", name_en="Two")
    client.force_login(actor)
    response = client.post(
        reverse("pipeline:pipeline_edit", args=[new.pk]),
        {"name_zh": "二", "name_en": "Two", "is_active": "on"},
    )
    assert response.status_code == 422
    assert "5 to 7 open stages" in response.content.decode()
    assert not Pipeline.objects.get(pk=new.pk).is_active
    for i in range(5):
        configuration.stage_create(
            actor=actor,
            pipeline=new,
            code=f"s{i}",
            name_zh=f"阶段{i}",
            name_en=f"Stage {i}",
            probability=10 * (i + 1),
            colour="blue",
            stall_days=5,
        )
    response = client.post(
        reverse("pipeline:pipeline_edit", args=[new.pk]),
        {"name_zh": "二", "name_en": "Two", "is_active": "on", "version": ""},
    )
    assert response.status_code == 302
    assert Pipeline.objects.get(pk=new.pk).is_active


def test_an_eighth_open_stage_is_refused(org, pipeline):
    configuration.stage_create(
        actor=org.admin,
        pipeline=pipeline,
        code="seven",
        name_zh="七",
        name_en="Seven",
        probability=95,
        colour="green",
        stall_days=5,
    )
    with pytest.raises(Exception) as exc:
        configuration.stage_create(
            actor=org.admin,
            pipeline=pipeline,
            code="eight",
            name_zh="八",
            name_en="Eight",
            probability=95,
            colour="green",
            stall_days=5,
        )
    assert "7 open stages" in " ".join(exc.value.messages)
    assert pipeline.open_stages().count() == 7


def test_a_stage_is_added_with_its_exit_criteria_and_audited(client, org, pipeline):
    client.force_login(org.admin)
    response = client.post(reverse("pipeline:stage_create", args=[pipeline.pk]), stage_data())
    assert response.status_code == 302
    added = Stage.objects.get(pipeline=pipeline, code="pilot")
    assert added.kind == StageKind.OPEN
    assert added.required_fields == ["amount"]
    assert added.required_evidence == ["proposal"]
    assert added.required_activities == [{"kind": "visit", "count": 2}]
    assert added.needs_approval
    assert added.next_actions == "约客户\n发方案"
    assert added.stall_days == 3
    # Added last among the open stages, before won and lost.
    codes = list(pipeline.open_stages().values_list("code", flat=True))
    assert codes[-1] == "pilot"
    assert added.order < stage("won", pipeline).order
    assert added.history.first().history_user == org.admin


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("probability", "120", "100"),
        ("probability", "-1", "0"),
        ("stall_days", "0", "1"),
        ("stall_days", "abc", "whole number"),
        ("colour", "mauve", "mauve"),
        ("required_fields", ["salary"], "salary"),
        ("required_evidence", ["horoscope"], "horoscope"),
        ("code", "contact", "Another stage"),
        ("name_zh", "", "required"),
    ],
)
def test_bad_stage_input_is_refused_with_a_message_naming_the_field(
    client, org, pipeline, field, value, message
):
    client.force_login(org.admin)
    before = Stage.objects.count()
    response = client.post(
        reverse("pipeline:stage_create", args=[pipeline.pk]), stage_data(**{field: value})
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message.lower() in " ".join(form.errors[field]).lower()
    assert Stage.objects.count() == before


def test_editing_a_stage_threshold_restarts_the_stall_clock_of_its_deals(client, org, pipeline):
    deal = make_deal(owner=org.rep_a)
    first = deal.stage
    client.force_login(org.admin)
    data = stage_data(code=first.code, stall_days="2", required_evidence=[])
    data["version"] = (
        client.get(reverse("pipeline:stage_edit", args=[first.pk]))
        .context["form"]["version"]
        .value()
    )
    response = client.post(reverse("pipeline:stage_edit", args=[first.pk]), data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.stall_days == 2
    deal = Deal.objects.get(pk=deal.pk)
    from salesops.core import calendar

    assert deal.stall_due_at == calendar.add_working_days(deal.stage_entered_at, 2)


def test_a_won_stage_only_edits_its_name_and_colour(client, org, pipeline):
    won = stage("won", pipeline)
    client.force_login(org.admin)
    page = client.get(reverse("pipeline:stage_edit", args=[won.pk]))
    form = page.context["form"]
    assert "probability" not in form.fields and "stall_days" not in form.fields
    response = client.post(
        reverse("pipeline:stage_edit", args=[won.pk]),
        {"name_zh": "成交", "name_en": "Won", "colour": "lime", "version": form["version"].value()},
    )
    assert response.status_code == 302
    won.refresh_from_db()
    assert (won.name_zh, won.colour, won.probability) == ("成交", "lime", 100)


def test_stages_move_up_and_down(client, org, pipeline):
    client.force_login(org.admin)
    needs = stage("needs", pipeline)
    response = client.post(reverse("pipeline:stage_move", args=[needs.pk, "up"]))
    assert response.status_code == 302
    codes = list(pipeline.open_stages().values_list("code", flat=True))
    assert codes[:2] == ["needs", "contact"]
    # The first cannot go further up: a message, nothing changes.
    response = client.post(reverse("pipeline:stage_move", args=[needs.pk, "up"]), follow=True)
    assert "already the first" in response.content.decode()
    assert list(pipeline.open_stages().values_list("code", flat=True)) == codes
    signing = stage("signing", pipeline)
    client.post(reverse("pipeline:stage_move", args=[signing.pk, "up"]))
    codes = list(pipeline.open_stages().values_list("code", flat=True))
    assert codes[-2:] == ["signing", "negotiation"]
    assert client.post(reverse("pipeline:stage_move", args=[needs.pk, "sideways"])).status_code in (
        302,
        303,
    )


def test_a_stage_with_open_deals_cannot_be_deleted(client, org, pipeline):
    configuration.stage_create(
        actor=org.admin,
        pipeline=pipeline,
        code="extra",
        name_zh="附加",
        name_en="Extra",
        probability=95,
        colour="green",
        stall_days=5,
    )
    make_deal(owner=org.rep_a, stage_code="extra")
    extra = stage("extra", pipeline)
    client.force_login(org.admin)
    response = client.post(reverse("pipeline:stage_delete", args=[extra.pk]))
    assert response.status_code == 409
    assert "open deal" in response.content.decode()
    assert Stage.objects.filter(pk=extra.pk).exists()


def test_an_unused_stage_is_deleted_but_never_below_five(client, org, pipeline):
    configuration.stage_create(
        actor=org.admin,
        pipeline=pipeline,
        code="extra",
        name_zh="附加",
        name_en="Extra",
        probability=95,
        colour="green",
        stall_days=5,
    )
    client.force_login(org.admin)
    extra = stage("extra", pipeline)
    assert client.post(reverse("pipeline:stage_delete", args=[extra.pk])).status_code == 302
    assert not Stage.objects.filter(pk=extra.pk).exists()
    signing = stage("signing", pipeline)
    client.post(reverse("pipeline:stage_delete", args=[signing.pk]))
    contact = stage("contact", pipeline)
    response = client.post(reverse("pipeline:stage_delete", args=[contact.pk]))
    assert response.status_code == 409
    assert "at least 5" in response.content.decode()
    assert pipeline.open_stages().count() == 5


def test_the_policy_page_saves_and_refuses_bad_values(client, org, pipeline):
    client.force_login(org.admin)
    page = client.get(reverse("pipeline:policy"))
    version = page.context["form"]["version"].value()
    good = {
        "evidence_max_mb": "10",
        "evidence_extensions": "PDF, .docx,jpg",
        "health_min_roles": "4",
        "health_min_first_payment": "40",
        "health_payment_delay_days": "30",
        "version": version,
    }
    for field, value, message in (
        ("evidence_max_mb", "500", "200"),
        ("evidence_max_mb", "0", "1"),
        ("evidence_extensions", "pdf,exe", "exe"),
        ("evidence_extensions", "pdf;docx", "commas"),
        ("health_min_first_payment", "150", "100"),
    ):
        response = client.post(reverse("pipeline:policy"), {**good, field: value})
        assert response.status_code == 422, field
        assert message in " ".join(response.context["form"].errors[field])
    assert PipelinePolicy.current().evidence_max_mb == 20
    response = client.post(reverse("pipeline:policy"), good)
    assert response.status_code == 302
    policy = PipelinePolicy.current()
    assert policy.evidence_max_mb == 10
    assert policy.evidence_extensions == "pdf,docx,jpg"
    assert policy.health_min_roles == 4
    assert policy.history.first().history_user == org.admin


def test_the_default_moves_and_a_pipeline_in_use_stays_on(client, org, pipeline):
    make_deal(owner=org.rep_a)
    client.force_login(org.admin)
    url = reverse("pipeline:pipeline_edit", args=[pipeline.pk])
    # Unticking "default" on the only default pipeline, or switching it off: refused.
    response = client.post(url, {"name_zh": "标准销售流程", "name_en": "Std", "is_active": "on"})
    assert response.status_code == 422
    assert "default" in " ".join(response.context["form"].errors["is_default"])
    response = client.post(url, {"name_zh": "标准销售流程", "name_en": "Std", "is_default": "on"})
    assert response.status_code == 422
    assert "must stay active" in " ".join(response.context["form"].errors["is_active"])
    # Another active pipeline made the default takes it over.
    other = configuration.pipeline_create(actor=org.admin, code="p2", name_zh="二", name_en="Two")
    for i in range(5):
        configuration.stage_create(
            actor=org.admin,
            pipeline=other,
            code=f"s{i}",
            name_zh=f"阶段{i}",
            name_en=f"Stage {i}",
            probability=10,
            colour="blue",
            stall_days=5,
        )
    configuration.pipeline_update(actor=org.admin, pipeline=other, is_active=True, is_default=True)
    pipeline.refresh_from_db()
    assert not pipeline.is_default and Pipeline.objects.get(pk=other.pk).is_default
    # The old one still has an open deal: it cannot be switched off.
    with pytest.raises(Exception) as exc:
        configuration.pipeline_update(actor=org.admin, pipeline=pipeline, is_active=False)
    assert "Open deals" in " ".join(exc.value.messages)


def test_the_pipeline_page_words_each_stages_criteria(client, org, pipeline):
    client.force_login(org.admin)
    body = client.get(reverse("pipeline:pipeline_edit", args=[pipeline.pk])).content.decode()
    assert "need confirmed, decision chain" in body  # labels, not need_confirmed, contacts
    assert "1 × " in body and "visit" not in body.split("stage-table")[1].split("</table>")[0]
