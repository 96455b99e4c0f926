"""Fuzz the whole REST API (/api/v1/) with schemathesis, through the WSGI app.

Every operation of the OpenAPI gets the cases schemathesis derives from its documented
parameters and body (its boundary "coverage" cases, then ``FUZZ_EXAMPLES`` generated ones;
a fixed seed: ``derandomize``), sent in turn as a rep, a manager and an admin (token auth)
of a small organisation with some records each. A response fails the run
if it is a 5xx, or its status is not documented, or its body does not match the documented
schema. ``FUZZ_EXAMPLES`` (environment) changes the number of examples per operation.

The public lead intake (/leads/intake/<token>/, the only rate-limited endpoint) is not part
of /api/v1/, so no example here can meet its rate limit.
"""

from __future__ import annotations

import itertools
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROLES = ("rep", "manager", "admin")
_turn = itertools.count()  # each case goes to the next role: every operation meets all three
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def build_fuzz_org():
    """The org tree of conftest plus, for rep_a, an account with contacts, a signed
    contract with payments and an invoice, leads, after-sales records and a task; the
    default pipeline with deals (one with evidence and a stage change waiting)."""
    from salesops.aftersales.tests.factories import (
        make_complaint,
        make_nps,
        make_renewal,
        make_ticket,
    )
    from salesops.customers.tests.factories import make_account, make_contact
    from salesops.leads.tests.factories import intake, make_channel, make_rule
    from salesops.org import services as org_services
    from salesops.org.tests.factories import build_org
    from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment

    org = build_org()
    records = []
    channel = make_channel()
    records.append(channel)
    records.append(make_rule(team=org.east))
    for owner in (org.rep_a, org.rep_b):
        account = make_account(owner)
        records += [account, make_contact(account), make_contact(account)]
        contract = make_contract(account, owner=owner)
        records += [contract, make_payment(contract), make_invoice(contract)]
        records += [
            make_complaint(account),
            make_nps(account),
            make_ticket(account),
            make_renewal(account),
        ]
    for _ in range(3):
        records.append(intake(channel))
    records += _fuzz_deals(org)
    tokens = {}
    for role, user in (("rep", org.rep_a), ("manager", org.manager_east), ("admin", org.admin)):
        tokens[role] = org_services.api_token_create(user=user, name="fuzz")[1]
    org.tokens = tokens
    org.ids = sorted({r.pk for r in records if getattr(r, "pk", None)} | {org.rep_a.pk})
    return org


def _fuzz_deals(org) -> list:
    """Deals of rep_a and rep_b in the default pipeline: one waiting for approval with its
    evidence, one in the first stage; their pipeline, stages, moves and files."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from salesops.pipeline import evidence, stages
    from salesops.pipeline.tests.factories import default_pipeline, make_deal, stage

    pipeline = default_pipeline()
    records = [pipeline, *pipeline.stages.all()]
    for owner in (org.rep_a, org.rep_b):
        waiting = make_deal(
            owner=owner, stage_code="proposal", expected_close_date=dt.date(2027, 3, 1)
        )
        proof = SimpleUploadedFile("p.pdf", b"%PDF-1.4\n% fuzz\n")
        records.append(
            evidence.evidence_add(actor=owner, deal=waiting, type="proposal", upload=proof)
        )
        change = stages.request_stage_change(actor=owner, deal=waiting, to_stage=stage("demo"))
        records += [waiting, change, make_deal(owner=owner)]
        records += list(waiting.stage_changes.all())
    return records


@pytest.fixture
def fuzz_org(db):
    """As Django's test client does: the WSGI handler must not close the connection at the
    end of each request, or the test's transaction (PostgreSQL) goes with it."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield build_fuzz_org()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def load_schema():
    """The OpenAPI that /api/v1/openapi.json serves (generated without a request: pytest
    collects this module before any database exists), sent to the WSGI app."""
    from ninja.responses import NinjaJSONEncoder

    from salesops.api import api
    from salesops.wsgi import application

    document = json.loads(
        json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), cls=NinjaJSONEncoder)
    )
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    loaded.location = "/api/v1/openapi.json"
    return loaded


schema = load_schema()
if os.environ.get("FUZZ_PATHS"):  # e.g. FUZZ_PATHS=^/api/v1/accounts to fuzz a part
    schema = schema.include(path_regex=os.environ["FUZZ_PATHS"])


def _known_id(value, ids):
    """Most generated ids miss every record; map the non-negative ones onto the records the
    organisation has (ids differ between SQLite and PostgreSQL), keep the others."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**6:
        return ids[value % len(ids)]
    return value


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case, fuzz_org):
    if case.path_parameters:
        case.path_parameters = {
            k: _known_id(v, fuzz_org.ids) for k, v in case.path_parameters.items()
        }
    role = ROLES[next(_turn) % len(ROLES)]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_org.tokens[role]}"}, checks=CHECKS
    )
