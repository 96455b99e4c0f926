"""Header mapping proposals, the user's mapping, the check/commit requests and the
import settings."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.customers.models import Account
from salesops.exchange import jobs, mapping, registry
from salesops.exchange.models import ExchangePolicy, HeaderMapping, JobState
from salesops.exchange.tests.helpers import xlsx_bytes
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _job(actor, headers, rows):
    data = xlsx_bytes(headers, rows)
    return jobs.start_job(actor=actor, entity="account", filename="a.xlsx", data=data)


def test_exact_names_in_either_language_map_and_confirm():
    admin = UserFactory(role="admin")
    job = _job(admin, ["公司名称", "city", "负责人"], [["上海甲乙机械有限公司", "上海", ""]])
    assert job.mapping == {"0": "name", "1": "city", "2": "owner"}
    assert job.mapping_confirmed
    assert {s["how"] for s in job.suggested.values()} == {"exact"}


def test_fuzzy_guess_waits_for_confirmation_and_saved_mapping_is_offered_next_time():
    admin = UserFactory(role="admin")
    job = _job(admin, ["公司名", "所在城市", "备用列"], [["上海甲乙机械有限公司", "上海", "x"]])
    assert not job.mapping_confirmed
    assert job.suggested["0"]["how"] == "fuzzy" and job.suggested["0"]["field"] == "name"
    assert job.suggested["2"]["field"] is None
    assert any("备用列" in n for n in job.notices)
    mapping.save_mapping(job=job, actor=admin, mapping={"0": "name", "1": "city", "2": ""})
    job.refresh_from_db()
    assert job.mapping_confirmed and job.mapping == {"0": "name", "1": "city"}
    assert set(HeaderMapping.objects.values_list("header", "field_key")) == {
        ("公司名", "name"),
        ("所在城市", "city"),
    }
    again = _job(admin, ["公司名", "所在城市"], [["苏州丙丁电子有限公司", "苏州"]])
    assert again.suggested["0"]["how"] == "saved" and again.mapping_confirmed


def test_bad_mapping_names_every_column_and_saves_nothing():
    admin = UserFactory(role="admin")
    job = _job(admin, ["A", "B", "C"], [["x", "y", "z"]])
    with pytest.raises(ValidationError) as caught:
        mapping.save_mapping(job=job, actor=admin, mapping={"0": "city", "1": "city", "2": "nope"})
    messages = caught.value.message_dict["mapping"]
    assert any("“A”" in m and "“B”" in m for m in messages)
    assert any("nope" in m for m in messages)
    assert any("公司名称" in m or "company name" in m for m in messages)  # required, unmapped
    job.refresh_from_db()
    assert not job.mapping_confirmed
    assert not HeaderMapping.objects.exists()


def test_check_then_commit_through_the_worker():
    admin = UserFactory(role="admin")
    job = _job(admin, ["公司名称", "城市"], [["上海甲乙机械有限公司", "上海"], ["", "苏州"]])
    with pytest.raises(ValidationError):
        jobs.request_commit(actor=admin, job=job)  # not checked yet
    job = jobs.request_check(actor=admin, job=job)
    assert job.state == JobState.CHECKED and job.progress == 100
    assert job.counts["create"] == 1 and job.counts["error"] == 1
    assert not Account.objects.exists()
    job = jobs.request_commit(actor=admin, job=job)
    assert job.state == JobState.DONE
    assert list(Account.objects.values_list("name", flat=True)) == ["上海甲乙机械有限公司"]
    with pytest.raises(ValidationError):
        jobs.request_check(actor=admin, job=job)


def test_another_users_job_and_a_rep_are_refused():
    admin = UserFactory(role="admin")
    manager = UserFactory(role="manager")
    rep = UserFactory(role="rep")
    job = _job(manager, ["公司名称"], [["上海甲乙机械有限公司"]])
    other = UserFactory(role="manager")
    with pytest.raises(PermissionDenied):
        jobs.request_check(actor=other, job=job)
    jobs.request_check(actor=admin, job=job)  # configurers see every import
    with pytest.raises(PermissionDenied):
        _job(rep, ["公司名称"], [["上海甲乙机械有限公司"]])
    assert registry.get("account").can_import(manager)


def test_policy_save_checks_every_value():
    admin = UserFactory(role="admin")
    with pytest.raises(ValidationError) as caught:
        jobs.policy_save(actor=admin, max_file_mb=0, max_rows="many", dual_track_days=30)
    assert set(caught.value.message_dict) == {"max_file_mb", "max_rows"}
    assert not ExchangePolicy.objects.exists()
    jobs.policy_save(actor=admin, max_file_mb=10, max_rows=1000, dual_track_days=30)
    assert ExchangePolicy.current().max_rows == 1000
    with pytest.raises(PermissionDenied):
        jobs.policy_save(actor=UserFactory(role="manager"), max_rows=5)


def test_the_row_limit_from_the_settings_refuses_a_larger_file():
    admin = UserFactory(role="admin")
    jobs.policy_save(actor=admin, max_rows=2)
    with pytest.raises(ValidationError) as caught:
        _job(admin, ["公司名称"], [["甲"], ["乙"], ["丙"]])
    assert "3" in caught.value.message_dict["file"][0]
