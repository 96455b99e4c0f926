"""Account and contact pages (placeholder while the pages are built)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("todo", status=501)


account_list = account_create = account_export = account_detail = account_edit = _todo
account_delete = account_history = contact_list = contact_create = contact_export = _todo
contact_detail = contact_edit = contact_delete = contact_history = _todo
