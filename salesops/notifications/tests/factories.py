"""Notifications and bot channels, created through the services."""

import factory

from salesops.core.tests.factories import ServiceFactory
from salesops.notifications import services
from salesops.notifications.models import ChannelConfig, Notification
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory


class NotificationFactory(ServiceFactory):
    """An inbox message (``services.notify``, which also queues its copies to the
    recipient's preferred channels)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "test.message"
    title = factory.Sequence(lambda n: f"提醒 {n}")
    body = ""
    link = ""

    @classmethod
    def through_service(cls, *, recipient, **values):
        [notification] = services.notify(recipients=[recipient], **values)
        return notification


class ChannelConfigFactory(ServiceFactory):
    """A WeCom group bot; pass ``webhook_url=`` (e.g. the ``fake_bot`` fixture's URL)
    for one the tests can reach. ``actor=`` (default: a new admin) configures it."""

    class Meta:
        model = ChannelConfig

    kind = "wecom"
    name = factory.Sequence(lambda n: f"wecom bot {n}")
    webhook_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test"
    secret = ""

    @classmethod
    def through_service(cls, *, actor=None, **values):
        actor = actor or UserFactory(role=Role.ADMIN)
        return services.channel_create(actor=actor, **values)
