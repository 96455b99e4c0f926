"""Company names reduced to a comparable key, for duplicate checks (SPEC L4)."""

from __future__ import annotations

import re
import unicodedata

# Legal-form suffixes, stripped repeatedly from the end (longest first within a step):
# "某某集团股份有限公司" → "某某集团" → "某某". Changing this list changes every stored key:
# add a migration that refills ``Account.name_key`` and ``Lead.company_key`` (see
# customers 0008 / leads 0005).
SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "分公司",
    "总公司",
    "有限责任",
    "公司",
    "集团",
    "股份",
    "有限",
    "工作室",
    "coltd",
    "companylimited",
    "company",
    "limited",
    "ltd",
    "incorporated",
    "inc",
    "corporation",
    "corp",
    "co",
    "llc",
    "plc",
    "gmbh",
)
# Region prefixes of Chinese company names: "上海某某科技" and "某某科技" are the same company.
REGIONS = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "深圳 广州 杭州 南京 苏州 无锡 宁波 成都 武汉 西安 长沙 郑州 济南 青岛 厦门 福州 合肥 "
    "沈阳 大连 哈尔滨 长春 石家庄 太原 昆明 南宁 南昌 贵阳 兰州 东莞 佛山 珠海 常州 南通"
).split()
_REGION_RE = re.compile(
    "^(?:" + "|".join(sorted(REGIONS, key=len, reverse=True)) + ")(?:省|市|自治区|特别行政区)?"
)
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
# Bracketed regions and notes anywhere: "(中国)", "（上海）", "【旗舰店】", "[China]".
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")


def company_key(name: str) -> str:
    """The comparable core of a company name: ``上海华信科技有限公司`` → ``华信科技``."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _BRACKETS.sub("", text)
    text = _NOISE.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for suffix in SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
    stripped = _REGION_RE.sub("", text)
    return stripped if len(stripped) >= 2 else text
