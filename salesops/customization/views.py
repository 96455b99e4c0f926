"""Settings pages for sales-ops admins: custom fields and form layouts per entity.

Only admins (``user.is_admin_role``) may open them; everyone else gets a 403. Thin views:
forms parse, ``services`` validate and write, ``selectors`` read.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .formfields import PreviewForm
from .forms import DefinitionForm, layout_items_from_post, layout_rows
from .models import FormLayout


def _require_admin(user) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may change custom fields and forms."))


def _entity_or_404(key: str):
    entity = selectors.custom_entity(key)
    if entity is None:
        raise Http404(_("No such entity."))
    return entity


def _definition_or_404(pk: int):
    try:
        return selectors.definition_get(pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such custom field.")) from None


def _list_url(entity_key: str) -> str:
    return f"{reverse('customization:definition_list')}?entity={entity_key}"


def _attach_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_GET
def definition_list(request):
    _require_admin(request.user)
    entities = selectors.custom_entities()
    if not entities:
        raise Http404(_("No entity takes custom fields yet."))
    current = _entity_or_404(request.GET.get("entity") or entities[0].key)
    context = {
        "entities": entities,
        "entity": current,
        "definitions": selectors.definitions(current.key, include_inactive=True),
        "layouts": selectors.layouts(current.key),
    }
    return render(request, "customization/definition_list.html", context)


def _definition_form_page(request, definition):
    entity_key = definition.entity if definition else request.GET.get("entity", "")
    initial = {"entity": entity_key} if definition is None else None
    form = DefinitionForm(request.POST or None, instance=definition, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if definition is None:
                saved = services.definition_create(actor=request.user, **data)
            else:
                saved = services.definition_update(
                    actor=request.user, definition=definition, **data
                )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Custom field “%(label)s” saved.") % {"label": saved.label})
            return redirect(_list_url(saved.entity))
    back = _list_url(definition.entity if definition else entity_key or "")
    return render(
        request,
        "customization/definition_form.html",
        {"form": form, "definition": definition, "cancel_url": back},
    )


@login_required
@require_http_methods(["GET", "POST"])
def definition_create(request):
    _require_admin(request.user)
    return _definition_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def definition_edit(request, pk):
    _require_admin(request.user)
    return _definition_form_page(request, _definition_or_404(pk))


@login_required
@require_POST
def definition_toggle(request, pk):
    """Switch a field off (values kept, hidden everywhere) or back on."""
    _require_admin(request.user)
    definition = _definition_or_404(pk)
    if definition.active:
        services.definition_deactivate(actor=request.user, definition=definition)
        messages.success(
            request,
            _("“%(label)s” switched off; its values are kept.") % {"label": definition.label},
        )
    else:
        try:
            services.definition_activate(actor=request.user, definition=definition)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(label)s” switched on.") % {"label": definition.label})
    return redirect(_list_url(definition.entity))


@login_required
@require_http_methods(["GET", "POST"])
def layout_edit(request, entity, name):
    _require_admin(request.user)
    entity_obj = _entity_or_404(entity)
    layout = selectors.layout_get(entity, name)
    errors = []
    if request.method == "POST":
        items = layout_items_from_post(request.POST)
        try:
            services.layout_save(actor=request.user, entity=entity, name=name, fields=items)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Form “%(name)s” saved.") % {"name": name})
            return redirect("customization:layout_edit", entity=entity, name=name)
        rows = _posted_rows(entity, request.POST)
    else:
        rows = layout_rows(entity, layout)
        items = [{"field": r["name"], "required": r["required"]} for r in rows if r["shown"]]
    context = {
        "entity": entity_obj,
        "name": name,
        "layout": layout,
        "rows": rows,
        "errors": errors,
        "preview": PreviewForm(entity, items),
        "cancel_url": _list_url(entity),
    }
    return render(request, "customization/layout_form.html", context)


def _posted_rows(entity: str, data) -> list[dict]:
    """The editor's rows as the admin left them, to show again with the errors."""
    rows = {r["name"]: r for r in layout_rows(entity, None)}
    shown, required = set(data.getlist("show")), set(data.getlist("required"))
    ordered = [n for n in data.getlist("field") if n in rows]
    ordered += [n for n in rows if n not in ordered]
    out = []
    for name in ordered:
        row = dict(rows[name])
        row["shown"] = row["locked"] or name in shown
        row["required"] = row["locked"] or name in required
        out.append(row)
    return out


@login_required
@require_POST
def layout_preview(request, entity, name):
    """The preview of the form as the editor stands (htmx, nothing saved)."""
    _require_admin(request.user)
    _entity_or_404(entity)
    known = {r["name"] for r in layout_rows(entity, None)}
    items = [i for i in layout_items_from_post(request.POST) if i["field"] in known]
    return render(
        request, "customization/_layout_preview.html", {"preview": PreviewForm(entity, items)}
    )


@login_required
@require_POST
def layout_delete(request, entity, name):
    _require_admin(request.user)
    _entity_or_404(entity)
    layout = selectors.layout_get(entity, name)
    if layout is None:
        raise Http404(_("No such form layout."))
    services.layout_delete(actor=request.user, layout=layout)
    messages.success(
        request,
        _("Form layout “%(name)s” removed; the form shows every field again.") % {"name": name},
    )
    return redirect(_list_url(entity))


@login_required
@require_GET
def layout_new(request):
    """Go to the editor of the layout ``?entity=…&name=…`` (the list page's small form)."""
    _require_admin(request.user)
    entity = _entity_or_404(request.GET.get("entity", "")).key
    name = slugify(request.GET.get("name") or FormLayout.DEFAULT).replace("-", "_")
    if not name:
        messages.error(
            request,
            _("Name the form with letters, digits and underscores, e.g. quick_entry."),
        )
        return redirect(_list_url(entity))
    return redirect("customization:layout_edit", entity=entity, name=name)
