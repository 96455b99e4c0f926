"""Every form page with pickers, walked as a rep (and a manager where only managers get a
picker): no record of someone the user may not see is offered, by name or id, on the
page or in its htmx partials, and a posted foreign id is refused on its field.

Audited and not listed here: forms only sales-ops admins and directors open (channels,
routing rules, automation rules, notification channels, custom fields, result tags);
those users see every record, so they have nothing foreign to be shown. The lead edit
and quick-entry forms and the check-in form have no record pickers (the check-in's
target comes from the query string and is a 404 when invisible: covered below).
"""

import pytest

from salesops.web.tests.pickers import PickerCase, check_case, picker_world

AFTERSALES = {
    # URL prefix → (own record kind, has a contact picker, has a handler picker)
    "complaints": ("complaint", True, True),
    "nps": ("nps", True, False),
    "tickets": ("ticket", True, False),
    "renewals": ("renewal", False, False),
}


def _aftersales_cases():
    cases = []
    for prefix, (kind, has_contact, has_handler) in AFTERSALES.items():
        pickers = {"account": "account"}
        if has_contact:
            pickers["contact"] = "contact"
        if has_handler:
            pickers["owner"] = "handler"
        new = f"/aftersales/{prefix}/new/"
        edit = f"/aftersales/{prefix}/{{own.{kind}}}/edit/"
        cases += [
            PickerCase(f"{prefix} new", new, pickers=pickers),
            PickerCase(
                f"{prefix} new ?account=foreign",
                new,
                params={"account": "{foreign.account}"},
                pickers=pickers,
            ),
            PickerCase(f"{prefix} edit", edit, pickers=pickers),
            PickerCase(
                f"{prefix} edit ?account=foreign",
                edit,
                params={"account": "{foreign.account}"},
                pickers=pickers,
            ),
            PickerCase(
                f"{prefix} account search partial",
                new,
                params={"part": "account", "account_q": "Acct"},
                pickers={"account": "account"},
                htmx=True,
                partial=True,
            ),
            PickerCase(
                f"{prefix} post a foreign account",
                new,
                post={"account": "{foreign.account}"},
                error_field="account",
            ),
            PickerCase(
                f"{prefix} edit: post a foreign account",
                edit,
                post={"account": "{foreign.account}"},
                error_field="account",
            ),
        ]
        if has_contact:
            cases += [
                PickerCase(
                    f"{prefix} contact partial ?account=foreign",
                    new,
                    params={"part": "contact", "account": "{foreign.account}"},
                    pickers={"contact": "contact"},
                    htmx=True,
                    partial=True,
                ),
                PickerCase(
                    f"{prefix} edit: contact partial ?account=foreign",
                    edit,
                    params={"part": "contact", "account": "{foreign.account}"},
                    pickers={"contact": "contact"},
                    htmx=True,
                    partial=True,
                ),
                PickerCase(
                    f"{prefix} post a foreign contact",
                    new,
                    post={"account": "{own.account}", "contact": "{foreign.contact}"},
                    error_field="contact",
                ),
            ]
        if has_handler:
            cases.append(
                PickerCase(
                    f"{prefix} post a foreign handler",
                    new,
                    post={"account": "{own.account}", "owner": "{foreign.user}"},
                    error_field="owner",
                )
            )
            cases.append(
                PickerCase(
                    f"{prefix} new as a manager",
                    new,
                    user="manager_sh",
                    params={"account": "{foreign.account}"},
                    pickers=pickers,
                )
            )
    return cases


CASES = [
    *_aftersales_cases(),
    # customers: the contact form's account picker; the account form's owner picker
    PickerCase("contact new", "/customers/contacts/new/", pickers={"account": "account"}),
    PickerCase(
        "contact new ?account=foreign",
        "/customers/contacts/new/",
        params={"account": "{foreign.account}"},
        pickers={"account": "account"},
    ),
    PickerCase(
        "contact edit ?account=foreign",
        "/customers/contacts/{own.contact}/edit/",
        params={"account": "{foreign.account}"},
        pickers={"account": "account"},
    ),
    PickerCase(
        "contact account search partial",
        "/customers/contacts/new/",
        params={"account_q": "Acct"},
        pickers={"account": "account"},
        htmx=True,
        partial=True,
    ),
    PickerCase(
        "contact post a foreign account",
        "/customers/contacts/new/",
        post={"account": "{foreign.account}", "name": "新联系人"},
        error_field="account",
    ),
    PickerCase("account new (rep)", "/customers/accounts/new/"),
    PickerCase("account edit (rep)", "/customers/accounts/{own.account}/edit/"),
    PickerCase(
        "account new (manager)",
        "/customers/accounts/new/",
        user="manager_sh",
        pickers={"owner": "user"},
    ),
    PickerCase(
        "account edit (manager)",
        "/customers/accounts/{own.account}/edit/",
        user="manager_sh",
        pickers={"owner": "user"},
    ),
    PickerCase(
        "account post a foreign owner",
        "/customers/accounts/new/",
        user="manager_sh",
        post={"name": "新公司", "owner": "{foreign.user}"},
        error_field="owner",
    ),
    # tasks: the linked record comes from ?record=, the assignee picker is for managers
    PickerCase(
        "task new ?record=foreign account",
        "/tasks/new/",
        params={"record": "account:{foreign.account}"},
    ),
    PickerCase(
        "task new (manager)", "/tasks/new/", user="manager_sh", pickers={"assignee": "user"}
    ),
    PickerCase(
        "task edit (manager)",
        "/tasks/{own.task}/",
        user="manager_sh",
        pickers={"assignee": "user"},
    ),
    PickerCase(
        "task post a foreign assignee",
        "/tasks/new/",
        user="manager_sh",
        post={"title": "跟进", "assignee": "{foreign.user}"},
        error_field="assignee",
    ),
    # leads: the reassign picker on the lead page (managers)
    PickerCase("lead page (rep)", "/leads/{own.lead}/"),
    PickerCase("lead edit (rep)", "/leads/{own.lead}/edit/"),
    PickerCase("quick entry (rep)", "/leads/new/"),
    PickerCase(
        "lead page (manager)", "/leads/{own.lead}/", user="manager_sh", pickers={"owner": "user"}
    ),
    PickerCase(
        "lead reassign to a foreign user",
        "/leads/{own.lead}/reassign/",
        user="manager_sh",
        post={"owner": "{foreign.user}", "reason": "换人跟进"},
        error_field="owner",
        form_key="reassign_form",
    ),
    # activities: the check-in's record comes from the query string
    PickerCase("check-in on my lead", "/activities/check-in/", params={"lead": "{own.lead}"}),
    PickerCase(
        "check-in naming a foreign contact",
        "/activities/check-in/",
        params={"account": "{own.account}", "contact": "{foreign.contact}"},
        status=404,
    ),
    # revenue: the instalment picker of the payment form lists this contract's plan only
    PickerCase(
        "payment new: instalments of this contract only",
        "/revenue/contracts/{w.ids[contract][rep_a]}/payments/new/",
        user="finance",
        pickers={"instalment": "instalment"},
        extra_foreign=lambda w: {
            "instalment": [
                pk for name, pks in w.instalments.items() if name != "rep_a" for pk in pks
            ]
        },
    ),
    PickerCase(
        "payment post another contract's instalment",
        "/revenue/contracts/{w.ids[contract][rep_a]}/payments/new/",
        user="finance",
        post={
            "amount": "100.00",
            "received_on": "2026-03-20",
            "instalment": "{w.instalments[rep_b][0]}",
        },
        error_field="instalment",
    ),
]


@pytest.fixture
def world(org):
    return picker_world(org)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pickers_offer_and_accept_only_visible_records(client, world, case):
    check_case(client, world, case)
