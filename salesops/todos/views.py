""" "我的待办 / My tasks": the list (open by due time, overdue highlighted), one-tap
completion over htmx, the create/edit form and a task's page with its history.

A task the user may not see is a 404, like every other record.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock
from salesops.core.exports import back_to, queryset_export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.pagination import TwoStepPaginator
from salesops.customization import selectors as custom_selectors

from . import selectors, services
from .forms import TaskForm


def _get_or_404(getter, user, pk):
    try:
        return getter(user=user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such task, or you may not open it.")) from None


def _sees_team(user) -> bool:
    return user.is_manager_role or user.sees_everything


def _mark(tasks, now=None):
    """Set ``overdue`` and ``due_today`` on each task for the row template."""
    now = now or clock.now()
    end = selectors.end_of_today()
    for task in tasks:
        open_with_due = task.due_at is not None and task.done_at is None
        task.overdue = open_with_due and task.due_at < now
        task.due_today = open_with_due and not task.overdue and task.due_at < end
    return tasks


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _filters(request) -> tuple[str, str]:
    status = request.GET.get("status", "open")
    status = status if status in selectors.STATUSES else "open"
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in selectors.SCOPES and _sees_team(request.user) else "mine"
    return status, scope


EXPORT_COLUMNS = [
    (_l("title"), "title"),
    (_l("due"), "due_at"),
    (_l("assignee"), "assignee.label"),
    (_l("done at"), "done_at"),
    (_l("source"), "source"),
    (_l("description"), "description"),
]


@login_required
@require_GET
def task_export(request, fmt):
    """The tasks the list shows (its status and scope), as CSV or Excel."""
    status, scope = _filters(request)
    queryset = selectors.task_list(user=request.user, status=status, scope=scope)
    back = back_to(request, "todos:task_list")
    return queryset_export_or_back(request, queryset, EXPORT_COLUMNS, fmt, "tasks", back)


@login_required
@require_GET
def task_list(request):
    user = request.user
    status, scope = _filters(request)
    queryset = selectors.task_list(user=user, status=status, scope=scope)
    paginator = TwoStepPaginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": _mark(page.object_list),
        "status": status,
        "scope": scope,
        "sees_team": _sees_team(user),
        "show_assignee": scope == "team",
        "statuses": [
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("done", _("Done")),
            ("all", _("All")),
        ],
    }
    return render(request, "todos/task_list.html", context)


def _record_from_query(request):
    """``?record=account:12`` (the "add task" link of a record page) → the record, if
    the user may see it; anything else is ignored."""
    key, _sep, pk = request.GET.get("record", "").partition(":")
    if not key or not pk.isdigit():
        return None
    try:
        return selectors.resolve_record(user=request.user, key=key, pk=int(pk))
    except (LookupError, ObjectDoesNotExist):
        return None


def _attach_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):  # a stale form, a message about the whole record
        attach_service_errors(form, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request):
    record = _record_from_query(request)
    form = TaskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data.setdefault("assignee", request.user)
        try:
            with transaction.atomic():
                if earlier := form.begin(request.user):  # a double submit: one task
                    return redirect(_next(request, earlier))
                task = services.task_create(actor=request.user, record=record, **data)
                form.finish(task)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
            return redirect(_next(request, reverse("todos:task_list")))
    context = {
        "form": form,
        "task": None,
        "record": record,
        "next": _next(request, ""),
    }
    return render(request, "todos/task_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk):
    """The task with its history; the edit form for those who may change it."""
    task = _get_or_404(selectors.task_get, request.user, pk)
    can_edit = selectors.task_editable(user=request.user, task=task)
    form = TaskForm(request.POST or None, instance=task, user=request.user) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404(_("No such task, or you may not open it."))
        if form.is_valid():
            try:
                with transaction.atomic():
                    form.begin(request.user)  # refused if someone saved it meanwhile
                    services.task_update(actor=request.user, task=task, **form.service_data())
            except ValidationError as exc:
                _attach_errors(form, exc)
            else:
                messages.success(request, _("Task saved."))
                return redirect(task)
    context = {
        "task": task,
        "form": form,
        "can_edit": can_edit,
        "record": selectors.record_ref(task),
        "custom_rows": custom_selectors.display_rows("task", task),
        "entries": history_entries(task),
        "now": clock.now(),
    }
    return render(request, "todos/task_detail.html", context)


def _toggle(request, pk, service, message):
    task = _get_or_404(selectors.task_get_for_edit, request.user, pk)
    task = service(actor=request.user, task=task)
    if request.htmx:
        task = selectors.task_get(user=request.user, pk=task.pk)
        context = {"t": _mark([task])[0], "show_assignee": request.POST.get("scope") == "team"}
        return render(request, "todos/_task_row.html", context)
    messages.success(request, message % {"title": task.title})
    return redirect(_next(request, reverse("todos:task_list")))


@login_required
@require_POST
def task_complete(request, pk):
    return _toggle(request, pk, services.task_complete, _("Task “%(title)s” done."))


@login_required
@require_POST
def task_reopen(request, pk):
    return _toggle(request, pk, services.task_reopen, _("Task “%(title)s” reopened."))
