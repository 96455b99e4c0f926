"""The demo's random values: weighted tables, vocabulary and the seeded generator that
draws every name, credit code, phone number and creation instant in a fixed order (so two
builds with the same seed give the same organisation; see :mod:`salesops.demo.build`)."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random

from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from salesops.customers.models import AccountLevel, DecisionRole, Industry, SizeBand

from . import GEOGRAPHY

SPAN = dt.timedelta(days=548)  # about 18 months of history

# --- weighted tables and vocabulary ------------------------------------------------------
# fmt: off
INDUSTRIES = [
    (Industry.MANUFACTURING, 22), (Industry.SOFTWARE, 16), (Industry.RETAIL, 12),
    (Industry.CONSTRUCTION, 9), (Industry.LOGISTICS, 8), (Industry.HEALTHCARE, 8),
    (Industry.FINANCE, 6), (Industry.EDUCATION, 6), (Industry.ENERGY, 5), (Industry.PUBLIC, 3),
    (Industry.OTHER, 5),
]
SIZE_BANDS = [
    (SizeBand.MICRO, 30), (SizeBand.SMALL, 32), (SizeBand.MEDIUM, 22), (SizeBand.LARGE, 11),
    (SizeBand.HUGE, 5),
]
LEVELS = [(AccountLevel.A, 8), (AccountLevel.B, 22), (AccountLevel.C, 45), (AccountLevel.D, 25)]
# The trade part of a company name (字号 + 行业 + 组织形式), by industry.
TRADE_WORDS = {
    Industry.MANUFACTURING: "精密机械 机电设备 新材料 汽车零部件 电子 智能装备 塑胶制品 五金制品".split(),
    Industry.SOFTWARE: "科技 信息技术 网络科技 软件 数据科技 智能科技 云计算".split(),
    Industry.FINANCE: "融资租赁 投资管理 保险代理 商业保理 资产管理".split(),
    Industry.EDUCATION: "教育科技 职业培训 文化教育 教育咨询".split(),
    Industry.HEALTHCARE: "医疗器械 医药 生物科技 健康管理 医疗科技".split(),
    Industry.RETAIL: "商贸 贸易 食品 电子商务 连锁超市 服饰".split(),
    Industry.ENERGY: "新能源 能源科技 光伏科技 电力工程 储能技术".split(),
    Industry.CONSTRUCTION: "建设工程 建筑装饰 置业 房地产开发 工程设计".split(),
    Industry.LOGISTICS: "物流 供应链管理 国际货运代理 运输 仓储服务".split(),
    Industry.PUBLIC: "城市建设投资 公用事业 水务 交通投资 产业园区开发".split(),
    Industry.OTHER: "企业管理咨询 文化传媒 广告 人力资源 会展服务".split(),
}
COMPANY_FORMS = [("有限公司", 70), ("股份有限公司", 14), ("有限责任公司", 10), ("集团有限公司", 6)]
# Characters that make up a 字号 (brand name), two of them at a time.
BRAND_CHARS = (
    "华盛鑫达恒瑞泰信通宏远嘉联创德兴安博中天金海新明永宇星光银丰源和凯辰"
    "弘晟润启航锦峰正元昌隆汇广佳诚益美康宁顺祥云开成志万合众利捷卓越东"
)
ROADS = (
    "中山路 人民路 解放路 建设路 长江路 黄河路 科技路 高新大道 世纪大道 创业路 学府路 "
    "滨江大道 新华路 和平路 胜利路 文化路 工业园路 金融街 东风路 朝阳路 迎宾大道 光明路 "
    "青年路 湖滨路 江南大道 振兴路 友谊路 民主路 团结路 环城路"
).split()
# Districts for the municipalities and the largest cities, so addresses read naturally.
DISTRICTS = {
    "上海市": "浦东新区 徐汇区 静安区 闵行区 长宁区 杨浦区 普陀区 嘉定区".split(),
    "北京市": "海淀区 朝阳区 东城区 西城区 丰台区 昌平区 大兴区".split(),
    "天津市": "滨海新区 和平区 南开区 河西区 西青区".split(),
    "重庆市": "渝北区 渝中区 江北区 南岸区 九龙坡区 沙坪坝区".split(),
    "广州市": "天河区 越秀区 海珠区 番禺区 白云区 黄埔区".split(),
    "深圳市": "南山区 福田区 宝安区 龙岗区 罗湖区 龙华区".split(),
    "杭州市": "西湖区 滨江区 余杭区 上城区 拱墅区 萧山区".split(),
    "南京市": "鼓楼区 玄武区 建邺区 江宁区 秦淮区".split(),
    "苏州市": "工业园区 姑苏区 虎丘区 吴中区 相城区".split(),
    "成都市": "武侯区 锦江区 高新区 青羊区 成华区 双流区".split(),
}
NOTES = [
    "年度框架采购，预算集中在第四季度。", "对价格敏感，需要准备分期方案。",
    "老客户转介绍，关系良好。", "正在评估竞品，下月安排产品演示。",
    "集团统一采购，需要走招标流程。", "决策链较长，先与IT负责人建立联系。",
]
# Roles of the first contact (usually the person the rep met first), then of the others.
FIRST_ROLES = [
    (DecisionRole.SIGNATORY, 30), (DecisionRole.PURCHASER, 25), (DecisionRole.IT_LEAD, 20),
    (DecisionRole.USER, 20), (DecisionRole.FINANCE_APPROVER, 5),
]
OTHER_ROLES = [
    (DecisionRole.USER, 28), (DecisionRole.IT_LEAD, 18), (DecisionRole.PURCHASER, 16),
    (DecisionRole.FINANCE_APPROVER, 14), (DecisionRole.SIGNATORY, 12), (DecisionRole.OTHER, 12),
]
TITLES = {
    DecisionRole.SIGNATORY: "总经理 董事长 副总经理 总裁 执行董事".split(),
    DecisionRole.IT_LEAD: "IT经理 信息中心主任 技术总监 CTO IT主管".split(),
    DecisionRole.FINANCE_APPROVER: "财务总监 财务经理 CFO 财务主管".split(),
    DecisionRole.PURCHASER: "采购经理 采购主管 采购专员 供应链经理".split(),
    DecisionRole.USER: "运营经理 销售经理 项目经理 部门经理 行政主管 市场专员".split(),
    DecisionRole.OTHER: "总经理助理 行政专员 董事会秘书 法务专员".split(),
}
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 173 177 "
    "180 181 182 183 185 186 187 188 189 191 198 199"
).split()
MAIL_DOMAINS = ["163.com", "126.com", "sina.com", "foxmail.com", "139.com", "sohu.com"]
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
ORG_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# fmt: on


class _Weighted:
    """``random.choices`` with the cumulative weights computed once."""

    def __init__(self, rng: random.Random, pairs):
        self.rng = rng
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self):
        return self.items[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]


def _clean_brand(brand: str) -> bool:
    """Faker's 字号 list mixes in trade words and places (“立信电子”, “济南亿次元”); keep
    the plain two- or three-character brands so the names read like registered ones."""
    return (
        2 <= len(brand) <= 3
        and not any(c.isascii() for c in brand)
        and not any(
            word in brand
            for word in ("公司", "电子", "科技", "软件", "信息", "计算机", "电脑", "数字")
        )
    )


class _Generator:
    """Every random value of the demo, drawn in a fixed order from the seeded sources."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        rng = self.rng
        self.industry = _Weighted(rng, INDUSTRIES)
        self.size_band = _Weighted(rng, SIZE_BANDS)
        self.level = _Weighted(rng, LEVELS)
        self.company_form = _Weighted(rng, COMPANY_FORMS)
        self.first_role = _Weighted(rng, FIRST_ROLES)
        self.other_role = _Weighted(rng, OTHER_ROLES)
        self.places = {
            region: _Weighted(
                rng,
                [
                    ((province, city, code), weight)
                    for province, cities in provinces.items()
                    for city, code, weight in cities
                ],
            )
            for region, provinces in GEOGRAPHY.items()
        }
        self.names: set[str] = set()
        self.org_codes: set[str] = set()
        self.phones: set[str] = set()

    # people ---------------------------------------------------------------------------
    def person(self) -> tuple[str, str]:
        return self.fake.last_name(), self.fake.first_name()

    def mobile(self) -> str:
        while True:
            number = f"+86{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def email(self) -> str:
        pick = self.rng.random()
        if pick < 0.35:
            return f"{self.rng.randrange(10**5, 3 * 10**9)}@qq.com"
        user = self.fake.user_name()
        if pick < 0.75:
            return f"{user}@{self.rng.choice(MAIL_DOMAINS)}"
        return f"{user}@{self.fake.domain_name()}"

    def wechat(self) -> str:
        pick = self.rng.random()
        if pick < 0.1:
            return ""
        if pick < 0.55:
            return "wxid_" + "".join(self.rng.choices(ALNUM, k=14))
        return f"{self.fake.user_name()}{self.rng.randrange(10, 9999)}"

    # companies ------------------------------------------------------------------------
    def company_name(self, city: str, industry: str) -> str:
        short = city.removesuffix("市")
        if len(short) > 4:  # 大理白族自治州 → 大理
            short = short[:2]
        words = TRADE_WORDS[industry]
        while True:
            if self.rng.random() < 0.15:
                brand = self.fake.company_prefix()
                if not _clean_brand(brand):
                    continue
            else:
                brand = "".join(self.rng.sample(BRAND_CHARS, 2))
            name = f"{short}{brand}{self.rng.choice(words)}{self.company_form()}"
            if name not in self.names:
                self.names.add(name)
                return name

    def credit_code(self, area: str, industry: str) -> str:
        authority = (
            "12" if industry == Industry.PUBLIC else ("92" if self.rng.random() < 0.05 else "91")
        )
        while True:
            if self.rng.random() < 0.6:  # codes issued since 2015 start with MA
                body = "MA" + "".join(self.rng.choices(ORG_CODE_ALPHABET, k=6))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            if body not in self.org_codes:
                self.org_codes.add(body)
                break
        # GB 11714 check character of the organisation code, then the USCC check digit.
        total = sum(int(c, 36) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
        check = 11 - total % 11
        org_code = body + {10: "X", 11: "0"}.get(check, str(check))
        code17 = f"{authority}{area}{org_code}"
        return code17 + uscc.calc_check_digit(code17)

    def address(self, city: str) -> str:
        district = self.rng.choice(DISTRICTS[city]) if city in DISTRICTS else ""
        number = self.rng.randrange(1, 1200)
        extra = self.rng.random()
        if extra < 0.4:
            suffix = f"{self.rng.randrange(1, 30)}楼"
        elif extra < 0.7:
            suffix = f"{self.rng.choice('ABCDE')}座{self.rng.randrange(1, 25)}{self.rng.randrange(1, 20):02d}室"
        else:
            suffix = ""
        return f"{city}{district}{self.rng.choice(ROADS)}{number}号{suffix}"


def _instants(rng: random.Random, n: int, now: dt.datetime) -> list[dt.datetime]:
    """``n`` creation instants over the past 18 months, oldest first: more of them recent
    (a growing business), on weekdays, in office hours of the organisation's time zone."""
    tz = timezone.get_default_timezone()
    start = now - SPAN
    seconds = SPAN.total_seconds()
    out = []
    for _ in range(n):
        day = (start + dt.timedelta(seconds=seconds * rng.random() ** 0.8)).astimezone(tz)
        if day.weekday() >= 5:
            day -= dt.timedelta(days=day.weekday() - 4)  # the Friday before
        moment = day.replace(
            hour=rng.randrange(9, 18),
            minute=rng.randrange(60),
            second=rng.randrange(60),
            microsecond=0,
        )
        out.append(min(moment.astimezone(dt.UTC), now))
    out.sort()
    return out
