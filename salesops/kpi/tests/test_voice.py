"""Customer voice (K6): reproducible sampling, the single-use survey link, exactly three
picks, the e-mail through the notifications app and who sees the round."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from salesops.core import clock
from salesops.kpi import voice
from salesops.kpi.models import DirtyRep, GrowthPolicy, VoiceMention, VoiceRound, VoiceSample
from salesops.notifications import sending
from salesops.notifications.models import Delivery

from .factories_growth import at, closed_accounts

pytestmark = pytest.mark.django_db
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
JULY = at(dt.date(2026, 7, 1))


@pytest.fixture
def closes(org):
    with clock.frozen(at(dt.date(2026, 6, 20))):
        a = closed_accounts(org.rep_a, 6, dt.date(2026, 5, 5))
        b = closed_accounts(org.rep_b, 4, dt.date(2026, 6, 1))
        old = closed_accounts(org.rep_c, 2, dt.date(2026, 1, 15))  # before the window
    return {"a": a, "b": b, "old": old}


def drawn(round_):
    return sorted(round_.samples.values_list("rep_id", "account_id"))


def test_the_same_seed_draws_the_same_samples_and_another_seed_others(org, closes):
    with clock.frozen(JULY):
        first = voice.sample_round(*Q2, seed=42)
        samples = drawn(first)
        assert first.seed == 42 and first.sampled == 6 == len(samples)
        assert {rep for rep, _a in samples} == {org.rep_a.pk, org.rep_b.pk}  # rep_c: too old
        assert voice.sample_round(*Q2, seed=7) == first  # a rerun returns the round
        VoiceRound.objects.all().delete()
        assert drawn(voice.sample_round(*Q2, seed=42)) == samples
        VoiceRound.objects.all().delete()
        assert drawn(voice.sample_round(*Q2, seed=43)) != samples


def test_a_round_without_a_seed_stores_a_random_one(org, closes):
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2)
    assert round_.seed >= 0
    assert VoiceSample.objects.filter(round=round_).count() == 6


def test_sample_size_and_contact_come_from_the_policy_and_the_account(org, closes):
    GrowthPolicy.current()
    GrowthPolicy.objects.update(voice_sample_size=2)
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=1)
    assert round_.samples.filter(rep=org.rep_a).count() == 2
    for sample in round_.samples.all():
        assert sample.contact.account_id == sample.account_id
        assert len(sample.token_hash) == 64
        assert sample.expires_at == JULY + dt.timedelta(days=14)


def open_link(org, closes):
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=5)
    sample = round_.samples.filter(rep=org.rep_a).first()
    return sample, reverse("kpi:voice_answer", args=[voice.sample_token(sample)])


def test_the_customer_answers_once_without_logging_in(client, org, closes):
    sample, url = open_link(org, closes)
    codes = ["fast_response", "industry_insight", "training"]
    with clock.frozen(JULY + dt.timedelta(days=1)):
        page = client.get(url)
        assert page.status_code == 200 and "Rep A" in page.content.decode()
        answered = client.post(url, {"actions": codes, "comment": "很好"})
        assert answered.status_code == 200 and b"voice-thanks" in answered.content
        again = client.post(url, {"actions": ["solution_fit", "fair_terms", "training"]})
        assert again.status_code == 410 and b"voice-link-used" in again.content
        assert client.get(url).status_code == 410
    sample.refresh_from_db()
    assert sample.actions == codes and sample.comment == "很好" and sample.answered_at
    mentions = VoiceMention.objects.filter(sample=sample)
    assert sorted(mentions.values_list("action", "dimension")) == [
        ("fast_response", "collaboration"),
        ("industry_insight", "customer_depth"),
        ("training", "solution"),
    ]
    assert DirtyRep.objects.filter(user=org.rep_a).exists()


def test_an_expired_or_unknown_link_writes_nothing(client, org, closes):
    sample, url = open_link(org, closes)
    codes = ["fast_response", "industry_insight", "training"]
    marks = set(DirtyRep.objects.values_list("user_id", "marked_at"))
    with clock.frozen(JULY + dt.timedelta(days=15)):
        expired = client.post(url, {"actions": codes})
    assert expired.status_code == 410 and b"voice-link-expired" in expired.content
    unknown = client.get(reverse("kpi:voice_answer", args=["nope" * 8]))
    assert unknown.status_code == 404 and b"voice-link-unknown" in unknown.content
    sample.refresh_from_db()
    assert sample.answered_at is None and not VoiceMention.objects.exists()
    assert set(DirtyRep.objects.values_list("user_id", "marked_at")) == marks  # nothing marked


@pytest.mark.parametrize(
    "codes",
    [
        ["fast_response", "training"],
        ["fast_response", "training", "solution_fit", "fair_terms"],
        ["fast_response", "training", "training"],
        ["fast_response", "training", "made_up"],
    ],
)
def test_anything_but_three_known_actions_shows_the_form_again(client, org, closes, codes):
    sample, url = open_link(org, closes)
    with clock.frozen(JULY):
        page = client.post(url, {"actions": codes})
    assert page.status_code == 200 and b"voice-error" in page.content
    assert b"Pick" in page.content
    sample.refresh_from_db()
    assert sample.answered_at is None and not VoiceMention.objects.exists()


def test_the_survey_email_goes_through_the_notifications_app(org, closes):
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=5)
        queued = voice.send_round(round_)
        assert queued == 6 and voice.send_round(round_) == 0  # sent once
        deliveries = Delivery.objects.filter(channel=voice.CHANNEL)
        assert deliveries.count() == 6
        assert not any(
            voice.sample_token(s) in d.body for s in round_.samples.all() for d in deliveries
        )
        first = deliveries.first()
        assert sending.attempt(first.pk) == "sent"
    sample = VoiceSample.objects.get(pk=first.source_id)
    (message,) = mail.outbox
    assert message.to == [sample.contact.email]
    assert voice.sample_token(sample) in message.body
    assert sample.rep.label in message.subject


def test_reps_see_their_own_links_managers_their_team(client, org, closes):
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=5)
    url = reverse("kpi:voice_round", args=[round_.pk])
    a_sample = round_.samples.filter(rep=org.rep_a).first()
    b_sample = round_.samples.filter(rep=org.rep_b).first()
    with clock.frozen(JULY):
        client.force_login(org.rep_a)
        page = client.get(url).content.decode()
        assert voice.sample_token(a_sample) in page and voice.sample_token(b_sample) not in page
        assert client.get(reverse("kpi:voice_rep", args=[org.rep_b.pk])).status_code == 404
        client.force_login(org.manager_east)
        page = client.get(url).content.decode()
        assert voice.sample_token(a_sample) in page and voice.sample_token(b_sample) in page
        client.force_login(org.manager_south)
        page = client.get(url).content.decode()
        assert voice.sample_token(a_sample) not in page
        assert client.get(reverse("kpi:voice_rounds")).status_code == 200
        client.force_login(org.admin)
        assert client.get(reverse("kpi:voice_rep", args=[org.rep_a.pk])).status_code == 200


def test_the_round_page_charts_the_mentions(client, org, closes):
    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=5)
        sample = round_.samples.first()
        voice.answer(
            token=voice.sample_token(sample),
            actions=["fast_response", "industry_insight", "onsite_support"],
        )
        client.force_login(org.admin)
        page = client.get(reverse("kpi:voice_round", args=[round_.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="voice-chart-data"' in body
    assert 'data-testid="stat-answered">1<' in body
    result = voice.stats(voice.visible_samples(org.admin, round_))
    assert dict(result.by_dimension) == {"customer_depth": 2, "collaboration": 1}
    assert ' style="' not in body and "<script>" not in body


def test_the_customer_page_speaks_chinese(client, org, closes, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    sample, url = open_link(org, closes)
    with clock.frozen(JULY):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert "您最看重哪 3 项服务动作" in page.content.decode()
        assert "响应及时" in page.content.decode()
        wrong = client.post(url, {"actions": ["training"]}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请恰好选择 3 项不同的服务动作" in wrong.content.decode()


def test_reps_hear_once_that_their_links_are_ready(client, org, closes):
    from salesops.notifications.models import Notification

    with clock.frozen(JULY):
        round_ = voice.sample_round(*Q2, seed=5)
        voice.send_round(round_)
        client.force_login(org.admin)
        client.post(reverse("kpi:voice_send", args=[round_.pk]))  # nothing left to send
        client.force_login(org.rep_a)
        assert client.post(reverse("kpi:voice_send", args=[round_.pk])).status_code == 403
    inbox = Notification.objects.filter(kind=voice.NOTIFICATION_KIND)
    assert sorted(inbox.values_list("recipient__username", flat=True)) == ["rep_a", "rep_b"]
