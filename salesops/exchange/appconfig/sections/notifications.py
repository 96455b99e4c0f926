"""App-template section of the organisation's notification channels: kind, name, the
shared mailbox's address and the on/off switch. A group bot's webhook URL (its access
token) and signing secret are credentials and never leave the installation.

A bot channel arrives without its URL, so it is created switched off: an admin pastes the
URL on Settings · Notifications and switches it on. Its switch is then the
installation's own; a file does not turn such a channel off or on again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core.history import save_with_history
from salesops.notifications import services as notification_services
from salesops.notifications.models import ChannelConfig, ChannelKind

from ..base import Section, register


@register
class NotificationChannels(Section):
    name = "notification_channels"
    label = _l("Notification channel")

    def key(self, item: dict) -> str:
        return str(item.get("name") or "")

    def _item(self, channel: ChannelConfig) -> dict:
        return {
            "kind": channel.kind,
            "name": channel.name,
            "email_to": channel.email_to,
            "active": channel.active,
        }

    def export(self) -> list[dict]:
        return sorted((self._item(c) for c in ChannelConfig.objects.all()), key=self.key)

    def validate(self, item: dict) -> list[str]:
        errors = []
        if not self.key(item).strip():
            errors.append(_("“name” is missing: give the channel a name."))
        kind = item.get("kind")
        if kind not in ChannelKind.values:
            errors.append(
                _("“kind” must be one of: %(choices)s.")
                % {"choices": ", ".join(ChannelKind.values)}
            )
        elif kind == ChannelKind.EMAIL and not item.get("email_to"):
            errors.append(_("“email_to”: a shared-mailbox channel needs an email address."))
        for secret in ("webhook_url", "secret"):
            if item.get(secret):
                errors.append(
                    _(
                        "“%(field)s” is a credential and is not imported: remove it and paste "
                        "it on Settings · Notifications after the import."
                    )
                    % {"field": secret}
                )
        return errors

    def apply(self, item: dict, *, actor) -> str:
        name = self.key(item).strip()
        kind = item["kind"]
        active = bool(item.get("active", True))
        email = (item.get("email_to") or "").strip() if kind == ChannelKind.EMAIL else ""
        channel = ChannelConfig.objects.filter(name=name).first()
        if channel is None:
            if kind == ChannelKind.EMAIL:
                notification_services.channel_create(
                    actor=actor, kind=kind, name=name, email_to=email, active=active
                )
            else:
                # The service asks for the URL this file cannot carry: the channel waits,
                # switched off, for an admin to paste it.
                channel = ChannelConfig(kind=kind, name=name, active=False, created_by=actor)
                try:
                    channel.full_clean(exclude=["webhook_url"])
                except ValidationError as exc:
                    raise ValidationError({"notification_channels": exc.messages}) from None
                save_with_history(channel, actor, "app template (webhook URL to paste)")
            return "created"
        wanted = {"kind": kind, "email_to": email}
        if kind == ChannelKind.EMAIL or channel.webhook_url:
            wanted["active"] = active
        changed = {k: v for k, v in wanted.items() if getattr(channel, k) != v}
        if not changed:
            return "unchanged"
        if kind != ChannelKind.EMAIL and not channel.webhook_url:
            for key, value in changed.items():
                setattr(channel, key, value)
            save_with_history(channel, actor, "app template")
        else:
            notification_services.channel_update(actor=actor, channel=channel, **changed)
        return "changed"
