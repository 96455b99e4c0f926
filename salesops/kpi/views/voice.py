"""Customer voice pages (K6): the public survey page (no login; the link is the key),
the rounds list, a round (its links to copy, answered rate, mentions chart) and a rep's
results. Reps see their own samples, managers their team's (permissions)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock

from .. import growth_policy, periods, permissions, voice
from ..forms_growth import VoiceAnswerForm
from ..models import GrowthPolicy, VoiceRound


def _page(request, queryset):
    paginator = Paginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _require(user):
    if not permissions.has_kpi(user):
        raise PermissionDenied(_("You have no access to KPI pages."))


@require_http_methods(["GET", "POST"])
def voice_answer(request, token: str):
    """The customer's page: mobile-first, no login, the rep named."""
    sample, state = voice.find(token)
    if state != "ok":
        status = 404 if state == "unknown" else 410
        return render(request, "kpi/voice/link_problem.html", {"state": state}, status=status)
    policy = GrowthPolicy.current()
    form = VoiceAnswerForm(request.POST or None, policy=policy)
    if request.method == "POST":
        try:
            voice.answer(
                token=token,
                actions=request.POST.getlist("actions"),
                comment=request.POST.get("comment", ""),
            )
        except voice.LinkProblem as exc:
            return render(
                request, "kpi/voice/link_problem.html", {"state": exc.state}, status=exc.status
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(request, "kpi/voice/thanks.html", {"sample": sample})
    context = {"sample": sample, "form": form, "picked": request.POST.getlist("actions")}
    return render(request, "kpi/voice/answer.html", context)


@login_required
@require_GET
def round_list(request):
    _require(request.user)
    query = request.GET.get("q", "").strip()[:20]
    rounds = VoiceRound.objects.all()
    if query:
        rounds = rounds.filter(period_start__icontains=query)
    page = _page(request, rounds)
    rows = [(r, voice.stats(voice.visible_samples(request.user, r))) for r in page.object_list]
    context = {
        "page_obj": page,
        "rows": rows,
        "query": query,
        "can_configure": permissions.can_configure(request.user),
    }
    return render(request, "kpi/voice/rounds.html", context)


@login_required
@require_GET
def round_detail(request, pk: int):
    _require(request.user)
    round_ = get_object_or_404(VoiceRound, pk=pk)
    samples = voice.visible_samples(request.user, round_)
    query = request.GET.get("q", "").strip()[:100]
    listed = samples
    if query:
        listed = samples.filter(account__name__icontains=query) | samples.filter(
            rep__display_name__icontains=query
        )
    page = _page(request, listed)
    result = voice.stats(samples)
    known = growth_policy.action_map()
    now = clock.now()
    rows = [
        {
            "sample": s,
            "link": voice.absolute_link(s) if s.answered_at is None and s.expires_at > now else "",
            "actions": [growth_policy.label(known[c]) if c in known else c for c in s.actions],
        }
        for s in page.object_list
    ]
    context = {
        "round": round_,
        "page_obj": page,
        "rows": rows,
        "stats": result,
        "chart": voice.chart(result) if result.by_action else None,
        "query": query,
        "can_configure": permissions.can_configure(request.user),
    }
    return render(request, "kpi/voice/round.html", context)


@login_required
@require_GET
def rep_results(request, user_id: int):
    _require(request.user)
    rep = get_object_or_404(get_user_model(), pk=user_id)
    if not permissions.can_see_user(request.user, rep.pk):
        raise Http404
    samples = voice.visible_samples(request.user).filter(rep=rep).order_by("-round__period_start")
    result = voice.stats(samples)
    known = growth_policy.action_map()
    page = _page(request, samples)
    rows = [
        {
            "sample": s,
            "actions": [growth_policy.label(known[c]) if c in known else c for c in s.actions],
        }
        for s in page.object_list
    ]
    context = {
        "rep": rep,
        "stats": result,
        "chart": voice.chart(result) if result.by_action else None,
        "page_obj": page,
        "rows": rows,
    }
    return render(request, "kpi/voice/rep.html", context)


@login_required
@require_POST
def round_sample(request):
    """Configurers: sample the round of the quarter that last ended (as the rule does)."""
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director starts a round."))
    start, end = periods.previous_quarter(clock.today())
    round_ = voice.sample_round(start, end)
    messages.success(
        request,
        _("Round %(round)s: %(n)d customers sampled.") % {"round": round_, "n": round_.sampled},
    )
    return redirect("kpi:voice_round", pk=round_.pk)


@login_required
@require_POST
def round_send(request, pk: int):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director sends the survey."))
    round_ = get_object_or_404(VoiceRound, pk=pk)
    count = voice.send_round(round_, announce=False)
    messages.success(request, _("%(n)d survey e-mails queued.") % {"n": count})
    return redirect("kpi:voice_round", pk=round_.pk)


urlpatterns = [
    path("voice/", round_list, name="voice_rounds"),
    path("voice/rounds/new/", round_sample, name="voice_sample"),
    path("voice/rounds/<int:pk>/", round_detail, name="voice_round"),
    path("voice/rounds/<int:pk>/send/", round_send, name="voice_send"),
    path("voice/reps/<int:user_id>/", rep_results, name="voice_rep"),
    path("voice/<str:token>/", voice_answer, name="voice_answer"),
]
