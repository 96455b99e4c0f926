"""Account and contact pages: list, detail, history, create, edit, delete, export.

Thin views: every read goes through ``selectors`` (visibility applied), every write
through ``services``. A record the user may not see is a 404, never a 403, so the pages
do not reveal that it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core import choices
from salesops.core.exports import export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.listing import list_context
from salesops.customization import selectors as custom_selectors
from salesops.licence import photos as licence_photos
from salesops.licence import selectors as licence_selectors
from salesops.licence import services as licence_services

from . import selectors, services
from .forms import AccountForm, ContactForm
from .models import Account, Contact


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


ACCOUNT_COLUMNS = [
    (_label(Account, "name"), "name"),
    (_label(Account, "credit_code"), "credit_code"),
    (_label(Account, "industry"), "get_industry_display"),
    (_label(Account, "size_band"), "get_size_band_display"),
    (_label(Account, "province"), "province"),
    (_label(Account, "city"), "city"),
    (_label(Account, "address"), "address"),
    (_label(Account, "level"), "get_level_display"),
    (_label(Account, "owner"), "owner.label"),
    (_label(Account, "created_at"), "created_at"),
]
CONTACT_COLUMNS = [
    (_label(Contact, "name"), "name"),
    (_label(Contact, "account"), "account.name"),
    (_label(Contact, "phone"), "phone_display"),
    (_label(Contact, "wechat"), "wechat"),
    (_label(Contact, "email"), "email"),
    (_label(Contact, "title"), "title"),
    (_label(Contact, "decision_role"), "get_decision_role_display"),
    (gettext_lazy("Account owner"), "account.owner.label"),
    (_label(Contact, "created_at"), "created_at"),
]
# Filterset parameters that narrow the list (as opposed to sort and page).
ACCOUNT_FILTERS = (
    "q",
    "province",
    "city",
    "industry",
    "size_band",
    "level",
    "owner",
    "created_after",
    "created_before",
)
CONTACT_FILTERS = ("q", "account", "decision_role", "owner")


def _get_or_404(getter, user, pk):
    try:
        return getter(user=user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None


def _require_writer(user):
    if user.is_read_only_role:
        raise PermissionDenied(_("Your role can read customer records but not change them."))


def _duplicates(user, form, exc: services.DuplicateError) -> list[dict]:
    """What the user may learn about each matching record: a link when they can open
    it, otherwise only whom to ask (the record itself stays private)."""
    found = []
    for match in exc.matches:
        record = match.record
        model = type(record)
        owner = record.owner if model is Account else record.account.owner
        visible = model.objects.visible_to(user).filter(pk=record.pk).exists()
        if visible:
            message = _("Already registered: %(name)s.") % {"name": record}
        else:
            message = _("This matches a record owned by %(owner)s; ask them or your manager.") % {
                "owner": owner.label
            }
        if match.field in form.fields:
            form.add_error(match.field, message)
        found.append(
            {
                "field": match.field,
                "label": _label(model, match.field),
                "visible": visible,
                "name": str(record) if visible else "",
                "url": record.get_absolute_url() if visible else "",
                "owner": owner.label,
            }
        )
    return found


def _layout(request) -> str:
    """The form layout to use: ``?layout=quick_entry`` (kept on the POST, which goes to
    the same URL), else the entity's default layout."""
    return request.GET.get("layout") or "default"


def _save(request, form, write, success_message):
    """Run the service with the form's data; on success redirect to the record."""
    try:
        with transaction.atomic():
            earlier = form.begin(request.user)  # version check / one-time token
            if earlier:
                return redirect(earlier), []
            record = write(form.service_data())
            form.finish(record)
    except services.DuplicateError as exc:
        return None, _duplicates(request.user, form, exc)
    except ValidationError as exc:
        attach_service_errors(form, exc)
        return None, []
    messages.success(request, success_message % {"name": record})
    return redirect(record), []


# --- accounts ---------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request):
    fs = selectors.account_filterset(user=request.user, data=request.GET)
    context = list_context(request, fs, ACCOUNT_FILTERS + fs.custom_filter_names)
    context["can_create"] = not request.user.is_read_only_role
    context.update(
        {
            "industries": choices.all_choices(choices.INDUSTRY),
            "sizes": choices.all_choices(choices.COMPANY_SIZE),
            "levels": choices.all_choices(choices.ACCOUNT_LEVEL),
            "provinces": [(p, p) for p in selectors.account_provinces(user=request.user)],
        }
    )
    return render(request, "customers/account_list.html", context)


@login_required
@require_GET
def account_export(request, fmt):
    fs = selectors.account_filterset(user=request.user, data=request.GET)
    columns = ACCOUNT_COLUMNS + custom_selectors.export_columns("account")
    return export_or_back(request, fs, columns, fmt, "accounts", "customers:account_list")


@login_required
@require_GET
def account_detail(request, pk):
    account = _get_or_404(selectors.account_get, request.user, pk)
    context = {
        "account": account,
        "tab": "details",
        "contacts": selectors.account_contacts(account),
        "chain": selectors.decision_chain(account),
        "can_edit": selectors.account_editable(user=request.user, account=account),
        "custom_rows": custom_selectors.display_rows("account", account),
        "licence_photo": licence_selectors.kept_photo("account", account.pk),
    }
    return render(request, "customers/account_detail.html", context)


@login_required
@require_GET
def account_licence_photo(request, pk):
    """The business licence photo kept with the account, for whoever may see it."""
    account = _get_or_404(selectors.account_get, request.user, pk)
    return licence_photos.record_photo_response("account", account.pk)


def _keep_licence_photo(request, account):
    """The photo of the licence the form was filled from, if the user chose to keep it."""
    if request.POST.get("licence_scan"):
        licence_services.scan_attach(
            actor=request.user,
            scan_id=request.POST["licence_scan"],
            record_type="account",
            record_id=account.pk,
        )
    return account


def _is_partial(request) -> bool:
    """An htmx request that wants a fragment; a boosted link wants the whole page."""
    return bool(request.htmx) and not request.htmx.boosted


def _history(request, obj, template, context):
    entries = history_entries(obj)
    if _is_partial(request):
        # The History tab loads in place; the full page is for links and reloads.
        return render(request, "web/_history.html", {"entries": entries})
    context.update({"tab": "history", "entries": entries})
    return render(request, template, context)


@login_required
@require_GET
def account_history(request, pk):
    account = _get_or_404(selectors.account_get, request.user, pk)
    can_edit = selectors.account_editable(user=request.user, account=account)
    return _history(
        request,
        account,
        "customers/account_detail.html",
        {"account": account, "can_edit": can_edit},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    _require_writer(request.user)
    form = AccountForm(request.POST or None, user=request.user, layout=_layout(request))
    duplicates = []
    if request.method == "POST" and form.is_valid():
        response, duplicates = _save(
            request,
            form,
            lambda data: _keep_licence_photo(
                request, services.account_create(actor=request.user, **data)
            ),
            _("Account “%(name)s” created."),
        )
        if response:
            return response
    return render(
        request,
        "customers/account_form.html",
        {"form": form, "duplicates": duplicates, "account": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    account = _get_or_404(selectors.account_get_for_edit, request.user, pk)
    form = AccountForm(
        request.POST or None, instance=account, user=request.user, layout=_layout(request)
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        response, duplicates = _save(
            request,
            form,
            lambda data: _keep_licence_photo(
                request, services.account_update(actor=request.user, account=account, **data)
            ),
            _("Account “%(name)s” saved."),
        )
        if response:
            return response
    return render(
        request,
        "customers/account_form.html",
        {"form": form, "duplicates": duplicates, "account": account},
    )


def _delete(request, obj, delete, back_url, list_route, template, context):
    if request.method == "POST":
        name = str(obj)
        try:
            delete()
        except (ProtectedError, RestrictedError):
            messages.error(
                request,
                _(
                    "“%(name)s” is still used by other records (orders, "
                    "contracts …) and cannot be deleted."
                )
                % {"name": name},
            )
            return redirect(back_url)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(list_route)
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request, pk):
    account = _get_or_404(selectors.account_get_for_edit, request.user, pk)
    return _delete(
        request,
        account,
        lambda: services.account_delete(actor=request.user, account=account),
        account.get_absolute_url(),
        "customers:account_list",
        "customers/confirm_delete.html",
        {
            "object": account,
            "kind": Account._meta.verbose_name,
            "contact_count": account.contacts.count(),
            "cancel_url": account.get_absolute_url(),
        },
    )


# --- contacts ---------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request):
    fs = selectors.contact_filterset(user=request.user, data=request.GET)
    context = list_context(request, fs, CONTACT_FILTERS + fs.custom_filter_names)
    context["can_create"] = not request.user.is_read_only_role
    account_id = context["current"]["account"]
    account = None
    if account_id.isdigit():
        account = selectors.account_list(user=request.user).filter(pk=account_id).first()
    context.update({"roles": choices.all_choices(choices.DECISION_ROLE), "filter_account": account})
    return render(request, "customers/contact_list.html", context)


@login_required
@require_GET
def contact_export(request, fmt):
    fs = selectors.contact_filterset(user=request.user, data=request.GET)
    columns = CONTACT_COLUMNS + custom_selectors.export_columns("contact")
    return export_or_back(request, fs, columns, fmt, "contacts", "customers:contact_list")


@login_required
@require_GET
def contact_detail(request, pk):
    contact = _get_or_404(selectors.contact_get, request.user, pk)
    context = {
        "contact": contact,
        "tab": "details",
        "can_edit": selectors.contact_editable(user=request.user, contact=contact),
        "custom_rows": custom_selectors.display_rows("contact", contact),
    }
    return render(request, "customers/contact_detail.html", context)


@login_required
@require_GET
def contact_history(request, pk):
    contact = _get_or_404(selectors.contact_get, request.user, pk)
    can_edit = selectors.contact_editable(user=request.user, contact=contact)
    return _history(
        request,
        contact,
        "customers/contact_detail.html",
        {"contact": contact, "can_edit": can_edit},
    )


def _contact_form_page(request, contact):
    """Create (``contact`` is None) or edit a contact. ``?account=ID`` preselects the
    account (the "Add contact" button of an account page); an htmx request with
    ``account_q`` only returns the account picker's options matching the text."""
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = int(request.GET["account"])
    form = ContactForm(
        request.POST or None,
        instance=contact,
        initial=initial,
        user=request.user,
        account_query=request.GET.get("account_q", ""),
        layout=_layout(request),
    )
    if _is_partial(request) and "account_q" in request.GET:
        return render(request, "customers/_account_options.html", {"form": form})
    duplicates = []
    if request.method == "POST" and form.is_valid():

        def write(data):
            if contact is None:
                return services.contact_create(actor=request.user, **data)
            return services.contact_update(actor=request.user, contact=contact, **data)

        if contact is None:
            message = _("Contact “%(name)s” created.")
        else:
            message = _("Contact “%(name)s” saved.")
        response, duplicates = _save(request, form, write, message)
        if response:
            return response
    if contact is not None:
        cancel_url = contact.get_absolute_url()
    elif "account" in initial:
        cancel_url = reverse("customers:account_detail", args=[initial["account"]])
    else:
        cancel_url = reverse("customers:contact_list")
    context = {"form": form, "duplicates": duplicates, "contact": contact, "cancel_url": cancel_url}
    return render(request, "customers/contact_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request):
    _require_writer(request.user)
    return _contact_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    contact = _get_or_404(selectors.contact_get_for_edit, request.user, pk)
    return _contact_form_page(request, contact)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request, pk):
    contact = _get_or_404(selectors.contact_get_for_edit, request.user, pk)
    account_url = contact.account.get_absolute_url()
    return _delete(
        request,
        contact,
        lambda: services.contact_delete(actor=request.user, contact=contact),
        contact.get_absolute_url(),
        account_url,
        "customers/confirm_delete.html",
        {
            "object": contact,
            "kind": Contact._meta.verbose_name,
            "cancel_url": contact.get_absolute_url(),
        },
    )
