"""The demo organisation: a fictitious but realistic zh_CN sales team with its customers.

``salesops demo --size small|large`` builds it with :func:`salesops.demo.build.build`. This module
holds the shape of the organisation — sizes, logins, regions and the provinces and cities
each region covers — so the tests and the benchmarks can check the data against it.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "salesops-demo"  # noqa: S105 - the documented password of the demo logins
SEED = 20240601


@dataclass(frozen=True)
class Size:
    reps: int
    accounts: int
    contacts_per_account: int = 3
    leads: int = 150
    lead_days: int = 40  # the leads arrived over this many past days
    deals: int = 300

    @property
    def contacts(self) -> int:
        return self.accounts * self.contacts_per_account

    def rep_username(self, n: int) -> str:
        width = len(str(self.reps)) if self.reps >= 100 else 2
        return f"rep{n:0{width}d}"


SIZES = {
    "small": Size(reps=20, accounts=500),
    "large": Size(reps=200, accounts=50_000, leads=3_000, deals=3_000),
}

COMPANY_TEAM = "总部"

# Region team name → (manager username, share of the reps).
REGIONS = {
    "华东": ("manager_east", 0.30),
    "华南": ("manager_south", 0.25),
    "华北": ("manager_north", 0.25),
    "西南": ("manager_west", 0.20),
}

# Logins besides the reps: username → (role, team; None = the company team).
STAFF = {
    "director": ("director", None),
    "admin": ("admin", None),
    "finance": ("finance", None),
    "cs": ("cs", None),
}

# Region → province → [(city, administrative division code, weight)]. Names are the
# official ones (as cpca returns them); codes are GB/T 2260 and feed the credit codes.
GEOGRAPHY: dict[str, dict[str, list[tuple[str, str, int]]]] = {
    "华东": {
        "上海市": [("上海市", "310115", 30)],
        "江苏省": [
            ("南京市", "320100", 8),
            ("苏州市", "320500", 10),
            ("无锡市", "320200", 5),
            ("常州市", "320400", 3),
            ("南通市", "320600", 3),
            ("徐州市", "320300", 2),
            ("扬州市", "321000", 2),
        ],
        "浙江省": [
            ("杭州市", "330100", 10),
            ("宁波市", "330200", 6),
            ("温州市", "330300", 3),
            ("嘉兴市", "330400", 2),
            ("绍兴市", "330600", 2),
            ("金华市", "330700", 2),
            ("台州市", "331000", 2),
            ("湖州市", "330500", 1),
        ],
        "安徽省": [
            ("合肥市", "340100", 6),
            ("芜湖市", "340200", 2),
            ("马鞍山市", "340500", 1),
            ("蚌埠市", "340300", 1),
            ("安庆市", "340800", 1),
        ],
        "山东省": [
            ("济南市", "370100", 5),
            ("青岛市", "370200", 6),
            ("烟台市", "370600", 2),
            ("潍坊市", "370700", 2),
            ("淄博市", "370300", 1),
            ("济宁市", "370800", 1),
            ("临沂市", "371300", 1),
        ],
    },
    "华南": {
        "广东省": [
            ("广州市", "440100", 14),
            ("深圳市", "440300", 16),
            ("东莞市", "441900", 6),
            ("佛山市", "440600", 6),
            ("珠海市", "440400", 2),
            ("中山市", "442000", 2),
            ("惠州市", "441300", 2),
            ("江门市", "440700", 1),
            ("汕头市", "440500", 1),
        ],
        "福建省": [
            ("福州市", "350100", 5),
            ("厦门市", "350200", 6),
            ("泉州市", "350500", 4),
            ("漳州市", "350600", 1),
            ("莆田市", "350300", 1),
        ],
        "广西壮族自治区": [
            ("南宁市", "450100", 4),
            ("柳州市", "450200", 2),
            ("桂林市", "450300", 2),
            ("北海市", "450500", 1),
        ],
        "海南省": [("海口市", "460100", 3), ("三亚市", "460200", 1)],
    },
    "华北": {
        "北京市": [("北京市", "110108", 30)],
        "天津市": [("天津市", "120116", 10)],
        "河北省": [
            ("石家庄市", "130100", 4),
            ("唐山市", "130200", 3),
            ("保定市", "130600", 2),
            ("廊坊市", "131000", 2),
            ("秦皇岛市", "130300", 1),
        ],
        "山西省": [
            ("太原市", "140100", 4),
            ("大同市", "140200", 1),
            ("长治市", "140400", 1),
            ("晋中市", "140700", 1),
        ],
        "内蒙古自治区": [
            ("呼和浩特市", "150100", 2),
            ("包头市", "150200", 2),
            ("鄂尔多斯市", "150600", 1),
        ],
    },
    "西南": {
        "四川省": [
            ("成都市", "510100", 20),
            ("绵阳市", "510700", 3),
            ("德阳市", "510600", 2),
            ("宜宾市", "511500", 2),
            ("南充市", "511300", 1),
            ("自贡市", "510300", 1),
        ],
        "重庆市": [("重庆市", "500112", 16)],
        "云南省": [
            ("昆明市", "530100", 6),
            ("曲靖市", "530300", 1),
            ("玉溪市", "530400", 1),
            ("大理白族自治州", "532900", 1),
        ],
        "贵州省": [
            ("贵阳市", "520100", 5),
            ("遵义市", "520300", 2),
            ("六盘水市", "520200", 1),
            ("安顺市", "520400", 1),
        ],
        "西藏自治区": [("拉萨市", "540100", 1), ("日喀则市", "540200", 1)],
    },
}


def region_of_province(province: str) -> str | None:
    """The demo region (华东 …) that covers ``province``, or None."""
    for region, provinces in GEOGRAPHY.items():
        if province in provinces:
            return region
    return None


__all__ = [
    "COMPANY_TEAM",
    "GEOGRAPHY",
    "PASSWORD",
    "REGIONS",
    "SEED",
    "SIZES",
    "STAFF",
    "Size",
    "region_of_province",
]
