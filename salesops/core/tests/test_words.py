"""Words the first build got wrong in zh-Hans (issue 13 item 7): each ambiguous English
word carries a context where its meanings differ, and each reads right in Chinese."""

from django.utils import translation
from django.utils.translation import gettext, pgettext

from salesops.leads.models import LeadStatus
from salesops.revenue.models import ContractStatus, Order


def test_the_chinese_words():
    with translation.override("zh-hans"):
        assert str(Order._meta.verbose_name) == "订单"
        assert pgettext("sales order", "Order") == "订单"
        assert gettext("order") == "排序"  # a sequence number stays 排序
        assert gettext("Contract number") == "合同编号"
        assert str(ContractStatus.SIGNED.label) == "已签约"
        assert pgettext("instalment", "Due") == "待付款"
        assert pgettext("delivery milestones", "Deliveries") == "交付里程碑"
        assert gettext("Deliveries") == "投递记录"  # outbound messages keep theirs
        assert pgettext("thing", "Name") == "名称"
        assert gettext("Name") == "姓名"  # a person's name
        assert str(LeadStatus.QUALIFIED.label) == "需求已确认"
        assert str(LeadStatus.CONVERTED.label) == "已转商机"


def test_the_english_lead_statuses_say_what_happened():
    with translation.override("en"):
        assert str(LeadStatus.QUALIFIED.label) == "Needs confirmed"
        assert str(LeadStatus.CONVERTED.label) == "Converted to deal"
