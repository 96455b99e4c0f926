"""Evidence pages: upload a file on the deal's page, and download one.

A file is served only to those who may see its deal (anyone else gets a 404, as for the
deal itself), always as an attachment with ``nosniff``, so an uploaded file never runs in
the browser as a page of this site.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesops.core.forms import attach_service_errors

from .. import evidence as evidence_service
from ..forms import EvidenceForm
from ..models import Deal, Evidence
from .dealpage import context as page_context
from .dealpage import deal_or_404


@login_required
@require_GET
def evidence_file(request, pk):
    visible = Deal.objects.visible_to(request.user).values("pk")
    evidence = Evidence.objects.filter(pk=pk, deal__in=visible).first()
    if evidence is None:
        raise Http404(_("No such file, or you may not open it."))
    try:
        handle = evidence_service.open_file(evidence)
    except FileNotFoundError:
        raise Http404(_("The file is missing from the evidence store.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def deal_evidence_add(request, pk):
    deal = deal_or_404(request.user, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence_service.evidence_add(
                actor=request.user,
                deal=deal,
                type=form.cleaned_data["type"] or "",
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"] or "",
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Evidence uploaded."))
            return redirect(deal)
    deal = deal_or_404(request.user, pk)
    context = page_context(request, deal, evidence_form=form)
    context["open_action"] = "evidence"
    return render(request, "pipeline/deal_detail.html", context, status=422)


urlpatterns = [
    path("<int:pk>/evidence/", deal_evidence_add, name="deal_evidence_add"),
    path("evidence/<int:pk>/", evidence_file, name="evidence_file"),
]
