"""Chinese (and English) text → search tokens, with jieba.

``cut_for_search`` also emits the shorter words inside long ones (降本增效 → 降本, 增效,
降本增效), so a rep who types 降本 finds an article titled 降本增效. Punctuation,
whitespace and a short list of function words are dropped; Latin words are lower-cased.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

jieba.setLogLevel(logging.WARNING)

# Sales words jieba's general dictionary splits badly; added once per process.
DOMAIN_WORDS = (
    "竞品",
    "降本增效",
    "降本",
    "增效",
    "停机",
    "回款",
    "账期",
    "预付款",
    "分期",
    "试用",
    "演示",
    "决策人",
    "采购部",
    "老板",
    "预算",
    "性价比",
    "售后",
    "维保",
    "上门",
    "交期",
    "交付",
    "质保",
    "保修",
    "报价",
    "折扣",
    "返点",
    "招标",
    "投标",
    "比价",
    "数字化",
    "系统集成",
    "数据安全",
    "私有化",
    "部署",
    "上云",
    "云端",
    "培训",
    "续约",
    "续费",
    "流失",
    "转介绍",
    "能耗",
    "电费",
    "良品率",
    "废品率",
    "库存",
    "排产",
    "ERP",
    "MES",
    "CRM",
    "SaaS",
    "微信",
    "企业微信",
    "公众号",
    "小程序",
    "合同",
    "发票",
    "对账",
    "安装",
    "调试",
    "备件",
    "停产",
    "产能",
    "人工成本",
    "招工难",
    "合规",
    "审计",
    "等保",
)
STOPWORDS = frozenset(
    """的 了 是 在 我 我们 你 你们 他 他们 她 它 这 那 这个 那个 一个 和 与 及 或 就 还 也 都
    很 太 吗 呢 吧 啊 呀 哦 嗯 么 着 过 被 把 让 给 对 从 到 说 讲 觉得 认为 要 想 会 能 可以
    有 没有 没 不 但 但是 而 所以 因为 如果 就是 还是 又 再 一下 一些 一直 比较 非常 已经
    客户 对方 他家 这边 那边 现在 目前 其实 怎么 怎么办 什么 为什么 如何 哪些
    a an the of to and or is are be for in on at with by it this that we you they""".split()
)
CHAR = "~"
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_lock = threading.Lock()
_ready = False


def _prepare() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=20000)
            jieba.initialize()
            _ready = True


def tokens(text: str) -> list[str]:
    """The search tokens of ``text``, in order, repeats kept (term frequency counts).

    Besides jieba's words, each Chinese character of a longer word is also a token,
    marked ``~`` (weighted lower by the index): 太贵 then still meets 贵, 报价单 meets
    报价 and 价, where the segmentation of a rep's note and of an article differ."""
    if not text:
        return []
    _prepare()
    out = []
    frequencies = jieba.dt.FREQ
    for word in jieba.cut(text):
        word = word.strip().lower()
        if not word or word in STOPWORDS or not _KEEP.search(word):
            continue
        # cut_for_search's sub-words (降本增效 → 降本, 增效), then the word itself.
        for size in (2, 3):
            if len(word) > size:
                for start in range(len(word) - size + 1):
                    part = word[start : start + size]
                    if frequencies.get(part) and part not in STOPWORDS:
                        out.append(part)
        out.append(word)
        if len(word) > 1:
            out.extend(CHAR + c for c in word if _CJK.match(c) and c not in STOPWORDS)
    return out
