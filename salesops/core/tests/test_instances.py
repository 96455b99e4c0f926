"""``core.instances.new_instance`` builds what ``Model(**values)`` builds."""

import pytest
import time_machine

from salesops.core.instances import new_instance
from salesops.exchange.models import ImportKey, ImportRow
from salesops.leads.models import Assignment, Inquiry, Lead
from salesops.leads.tests.factories import make_channel
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _same(model, **values):
    with time_machine.travel("2026-11-03 10:00:00+08:00", tick=False):
        built, made = new_instance(model, **values), model(**values)
    assert type(built) is model
    assert list(built.__dict__) == list(made.__dict__)
    for key, value in made.__dict__.items():
        if key == "_state":
            continue
        assert built.__dict__[key] == value, key
    assert (built._state.adding, built._state.db) == (made._state.adding, made._state.db)
    assert built._state.fields_cache == made._state.fields_cache
    return built, made


def test_new_instances_equal_the_models_own(org):
    channel = make_channel(kind="import")
    rep = UserFactory(username="inst_rep")
    lead, made = _same(Lead, channel=channel, company="杭州云栖")
    assert lead.channel is channel and lead.custom == {} and lead.custom is not made.custom
    # post_init receivers run (the KPI rollup remembers the loaded owner).
    assert getattr(lead, "_kpi_owner_loaded", "unset") == getattr(
        made, "_kpi_owner_loaded", "unset"
    )
    _same(Inquiry, channel=channel, campaign="", payload={"a": 1}, created_by=None, match_id=3)
    _same(Assignment, owner=rep, rule_id=None, rule_name="", strategy="", reason="r", actor=None)
    _same(ImportKey, entity="lead", key="k", object_id=1, content_hash="h", job_id=None)
    _same(ImportRow, row_no=2, key="", status="ok", errors=[], message="", values=["a"])


def test_defaults_are_fresh_for_every_instance():
    first, second = new_instance(Lead), new_instance(Lead)
    assert first.custom == {} and first.custom is not second.custom


def test_bad_values_are_refused_as_the_model_refuses_them():
    with pytest.raises(TypeError, match="unexpected"):
        new_instance(Lead, no_such_field=1)
    with pytest.raises(ValueError, match="must be a"):
        new_instance(Inquiry, channel=object())
