"""Customer voice (SPEC K6): each quarter a reproducible random sample of every rep's
recently closed customers is asked "which 3 service actions did you value most?".

- **Who is sampled.** "Closed business" is both a won deal (``Deal.status = won``, its
  ``closed_at`` in the window) and a signed contract (status signed/active/completed,
  ``signed_on`` in the window), owned by the rep; the window is the last
  ``voice_lookback_months`` months up to the round's end. Per rep, in the deterministic
  order (rep id, account id), ``random.Random(seed)`` picks up to ``voice_sample_size``
  accounts; the contact is the account's most recent contact with an email or a phone.
  The seed is stored on the round: the same data and seed give the same samples.
- **The link.** Each sample's token is an HMAC (the site's secret key) of the round's
  random seed and the sample's identity: unguessable, recomputable for the round page
  (the rep and the manager copy it to WeCom), and only its SHA-256 is stored. Rotating
  the secret key invalidates the links of open rounds.
- **Sending.** A contact with an email address gets it through the notifications app's
  delivery mechanism (retries, attempt log): a delivery of the channel ``kpi_voice`` whose
  sender (:func:`send_voice_email`, registered in ``wiring``) builds the message from the
  sample when it goes out, so the link is never stored in clear.
- **Answering** (:func:`answer`): exactly 3 distinct known codes; one
  :class:`VoiceMention` per action with its radar dimension; the rep is marked dirty so
  their live scores refresh. An unknown, expired or used link writes nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import random
import secrets
from collections import Counter, defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import clock
from salesops.customers.models import Contact
from salesops.notifications import sending, webhooks
from salesops.notifications import services as notification_services
from salesops.notifications.errors import DeliveryError
from salesops.notifications.models import Delivery
from salesops.notifications.senders import send_direct
from salesops.pipeline.models import Deal, DealStatus
from salesops.revenue.models import SIGNED_STATUSES, Contract

from . import growth_policy, permissions
from .models import DirtyRep, GrowthPolicy, VoiceMention, VoiceRound, VoiceSample
from .periods import add_months

CHANNEL = "kpi_voice"  # the delivery kind of a survey e-mail (sender in wiring)
SOURCE = "kpi.voice"
NOTIFICATION_KIND = "kpi.voice"
PICKS = 3
COMMENT_MAX = 1000


class LinkProblem(Exception):
    """A survey link that cannot be answered: ``status`` 404 (unknown) or 410 (expired,
    already answered); ``state`` says which."""

    def __init__(self, state: str):
        self.state = state
        self.status = 404 if state == "unknown" else 410
        super().__init__(state)


# --- sampling ----------------------------------------------------------------------------------


def window(end: dt.date, policy: GrowthPolicy) -> tuple[dt.date, dt.date]:
    """The closes that count for a round ending on ``end``: the last N months up to it."""
    return add_months(end + dt.timedelta(days=1), -policy.voice_lookback_months), end


def closed_business(first: dt.date, last: dt.date) -> dict[int, list[int]]:
    """Rep id → sorted account ids the rep closed business with between the two days
    (won deals and signed contracts), active reps only."""
    pairs: set[tuple[int, int]] = set()
    deals = Deal.objects.filter(
        status=DealStatus.WON,
        closed_at__date__gte=first,
        closed_at__date__lte=last,
        owner__is_active=True,
    ).values_list("owner_id", "account_id")
    contracts = Contract.objects.filter(
        status__in=SIGNED_STATUSES,
        signed_on__gte=first,
        signed_on__lte=last,
        owner__is_active=True,
    ).values_list("owner_id", "account_id")
    pairs.update((o, a) for o, a in deals if a is not None)
    pairs.update((o, a) for o, a in contracts if a is not None)
    by_rep: dict[int, list[int]] = defaultdict(list)
    for rep_id, account_id in sorted(pairs):
        by_rep[rep_id].append(account_id)
    return dict(by_rep)


def pick(by_rep: dict[int, list[int]], size: int, seed: int) -> list[tuple[int, int]]:
    """The sample: per rep (in id order) up to ``size`` of their accounts (in id order),
    drawn by one ``random.Random(seed)``."""
    rng = random.Random(seed)
    chosen = []
    for rep_id in sorted(by_rep):
        accounts = sorted(by_rep[rep_id])
        for account_id in sorted(rng.sample(accounts, min(size, len(accounts)))):
            chosen.append((rep_id, account_id))
    return chosen


def best_contacts(account_ids) -> dict[int, int]:
    """Account id → its most recent contact with an email or a phone."""
    rows = (
        Contact.objects.filter(account_id__in=list(account_ids))
        .filter(~Q(email="") | ~Q(phone=""))
        .order_by("account_id", "-created_at", "-id")
        .values_list("account_id", "id")
    )
    best: dict[int, int] = {}
    for account_id, contact_id in rows:
        best.setdefault(account_id, contact_id)
    return best


def token_for(round_: VoiceRound, rep_id: int, account_id: int) -> str:
    value = f"{round_.seed}:{round_.period_start.isoformat()}:{rep_id}:{account_id}"
    digest = salted_hmac("salesops.kpi.voice", value, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sample_token(sample: VoiceSample) -> str:
    return token_for(sample.round, sample.rep_id, sample.account_id)


def link_path(sample: VoiceSample) -> str:
    return reverse("kpi:voice_answer", args=[sample_token(sample)])


def absolute_link(sample: VoiceSample) -> str:
    return webhooks.absolute_link(link_path(sample)) or link_path(sample)


def sample_round(start: dt.date, end: dt.date, *, seed: int | None = None) -> VoiceRound:
    """The round of the quarter starting on ``start`` (an existing one is returned as it
    is). ``seed``: random when None; stored, so the sample can be drawn again."""
    existing = VoiceRound.objects.filter(period_start=start).first()
    if existing is not None:
        return existing
    if end < start:
        raise ValidationError({"end": _("The end of the quarter is before its start.")})
    policy = GrowthPolicy.current()
    seed = secrets.randbits(63) if seed is None else int(seed)
    first, last = window(end, policy)
    chosen = pick(closed_business(first, last), policy.voice_sample_size, seed)
    contacts = best_contacts({account_id for _rep, account_id in chosen})
    expires = clock.now() + dt.timedelta(days=policy.voice_token_days)
    try:
        with transaction.atomic():
            round_ = VoiceRound.objects.create(
                period_start=start, period_end=end, seed=seed, sampled=len(chosen)
            )
            VoiceSample.objects.bulk_create(
                VoiceSample(
                    round=round_,
                    rep_id=rep_id,
                    account_id=account_id,
                    contact_id=contacts.get(account_id),
                    token_hash=hash_token(token_for(round_, rep_id, account_id)),
                    expires_at=expires,
                )
                for rep_id, account_id in chosen
            )
    except IntegrityError:  # another worker made the same quarter's round meanwhile
        return VoiceRound.objects.get(period_start=start)
    return round_


# --- sending -----------------------------------------------------------------------------------


def send_round(round_: VoiceRound, *, announce: bool = True) -> int:
    """Queue the survey e-mail of each unsent, open sample whose contact has an address,
    and tell the reps their links are ready (``announce``: every rep of the round, as the
    rule does once; otherwise only the reps whose e-mails were just queued). Returns how
    many e-mails were queued."""
    now = clock.now()
    samples = list(
        round_.samples.filter(sent_at__isnull=True, answered_at__isnull=True, expires_at__gt=now)
        .exclude(contact__isnull=True)
        .exclude(contact__email="")
        .select_related("contact")
    )
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                channel=CHANNEL,
                address=sample.contact.email,
                source_type=SOURCE,
                source_id=sample.pk,
                next_attempt_at=now + sending.IN_FLIGHT,
            )
            for sample in samples
        )
        VoiceSample.objects.filter(pk__in=[s.pk for s in samples]).update(sent_at=now)
        if announce:
            rep_ids = sorted(set(round_.samples.values_list("rep_id", flat=True)))
        else:
            rep_ids = sorted({sample.rep_id for sample in samples})
        if rep_ids:
            with translation.override(settings.LANGUAGE_CODE):
                notification_services.notify(
                    recipients=rep_ids,
                    kind=NOTIFICATION_KIND,
                    title=_("Customer voice %(round)s: your customers' survey links are ready")
                    % {"round": round_},
                    body=_("Copy a link from the round page to send it by WeCom."),
                    link=reverse("kpi:voice_round", args=[round_.pk]),
                    source=f"{SOURCE}:{round_.pk}",
                )
        notification_services.deliveries_send([d.pk for d in deliveries])
    return len(samples)


def send_voice_email(delivery: Delivery):
    """The sender of the ``kpi_voice`` channel: the survey e-mail of the delivery's
    sample, built now (the link is not stored in clear)."""
    sample = (
        VoiceSample.objects.select_related("round", "rep", "account", "contact")
        .filter(pk=delivery.source_id)
        .first()
    )
    if sample is None:
        raise DeliveryError(_("the survey sample was deleted"), retry=False)
    if sample.answered_at is not None or sample.expires_at <= clock.now():
        return None  # nothing left to ask
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(rep)s would like your opinion: 3 questions, 1 minute") % {
            "rep": sample.rep.label
        }
        body = _(
            "Dear %(contact)s, thank you for working with us. Which 3 service actions of "
            "%(rep)s did you value most? The link is valid until %(day)s."
        ) % {
            "contact": sample.contact.name if sample.contact else "",
            "rep": sample.rep.label,
            "day": sample.expires_at.date().isoformat(),
        }
    return send_direct(
        kind="email",
        config=None,
        address=delivery.address,
        title=title,
        body=body,
        link=link_path(sample),
    )


# --- answering ---------------------------------------------------------------------------------


def find(token: str) -> tuple[VoiceSample | None, str]:
    """The sample of a link and its state: ``ok``, ``unknown``, ``expired`` or ``used``."""
    sample = (
        VoiceSample.objects.select_related("rep", "account", "round")
        .filter(token_hash=hash_token(str(token or "")))
        .first()
    )
    return sample, state_of(sample)


def state_of(sample: VoiceSample | None) -> str:
    if sample is None:
        return "unknown"
    if sample.answered_at is not None:
        return "used"
    if sample.expires_at <= clock.now():
        return "expired"
    return "ok"


def clean_actions(actions, known: dict[str, dict]) -> list[str]:
    codes = [str(code).strip() for code in (actions or []) if str(code).strip()]
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError({"actions": _("Pick from the list of service actions.")})
    if len(codes) != PICKS or len(set(codes)) != PICKS:
        raise ValidationError({"actions": _("Pick exactly 3 different service actions.")})
    return codes


@transaction.atomic
def answer(*, token: str, actions, comment: str = "") -> VoiceSample:
    """Store a customer's answer once: raises :class:`LinkProblem` for an unknown, expired
    or used link and ``ValidationError`` for anything but 3 known actions."""
    sample = (
        VoiceSample.objects.select_for_update()
        .filter(token_hash=hash_token(str(token or "")))
        .first()
    )
    state = state_of(sample)
    if state != "ok":
        raise LinkProblem(state)
    known = growth_policy.action_map()
    codes = clean_actions(actions, known)
    comment = str(comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError({"comment": _("At most %(max)d characters.") % {"max": COMMENT_MAX}})
    now = clock.now()
    sample.answered_at = now
    sample.actions = codes
    sample.comment = comment
    sample.save(update_fields=["answered_at", "actions", "comment"])
    VoiceMention.objects.bulk_create(
        VoiceMention(
            sample=sample,
            rep_id=sample.rep_id,
            action=code,
            dimension=known[code].get("dimension", ""),
            answered_at=now,
        )
        for code in codes
    )
    DirtyRep.objects.update_or_create(user_id=sample.rep_id, defaults={"marked_at": now})
    return sample


# --- reading -----------------------------------------------------------------------------------


def visible_samples(user, round_: VoiceRound | None = None):
    """The samples ``user`` may see (their own as a rep, their team's as a manager)."""
    queryset = VoiceSample.objects.select_related("rep", "account", "contact", "round")
    if round_ is not None:
        queryset = queryset.filter(round=round_)
    ids = permissions.visible_user_ids(user)
    if ids is not None:
        queryset = queryset.filter(rep_id__in=ids)
    return queryset.order_by("rep_id", "account_id")


@dataclasses.dataclass
class Stats:
    samples: int
    answered: int
    rate: int | None  # answered, % of the samples
    by_action: list[tuple[str, str, int]]  # code, label, count
    by_dimension: list[tuple[str, int]]


def stats(samples) -> Stats:
    total = samples.count()
    answered = samples.filter(answered_at__isnull=False).count()
    mentions = VoiceMention.objects.filter(sample__in=samples.values("pk"))
    actions = Counter(mentions.values_list("action", flat=True))
    dimensions = Counter(mentions.values_list("dimension", flat=True))
    known = growth_policy.action_map()
    by_action = [
        (code, growth_policy.label(known[code]) if code in known else code, n)
        for code, n in sorted(actions.items(), key=lambda item: (-item[1], item[0]))
    ]
    return Stats(
        samples=total,
        answered=answered,
        rate=round(answered * 100 / total) if total else None,
        by_action=by_action,
        by_dimension=sorted(dimensions.items(), key=lambda item: (-item[1], item[0])),
    )


def chart(result: Stats) -> dict:
    return {
        "actions": [label for _code, label, _n in result.by_action],
        "action_counts": [n for _code, _label, n in result.by_action],
        "dimensions": [code or "—" for code, _n in result.by_dimension],
        "dimension_counts": [n for _code, n in result.by_dimension],
        "names": {"actions": str(_("Service actions")), "dimensions": str(_("Dimensions"))},
    }


CHANNEL_LABEL = gettext_lazy("Customer-voice survey e-mail")
