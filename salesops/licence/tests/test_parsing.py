"""Fields from OCR boxes, whatever the layout: label and value in one box, the value in
the box to the right, two label/value pairs on one line, the value under its label, a
tilted photo, a spaced label split into two boxes. The boxes are made by hand here (the
OCR itself is measured on the synthetic set in test_ocr_set)."""

from __future__ import annotations

import math

import pytest

from salesops.licence import parsing

pytestmark = pytest.mark.django_db  # the project's autouse fixtures restore seeded rows

CODE = "91330106DY1FUBJH69"


def box(x, y, text, w=None, h=30, score=0.99):
    w = w or 30 * len(text)
    return ([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], text, score)


def tilt(raw, degrees):
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    return [([[x * cos - y * sin, x * sin + y * cos] for x, y in pts], t, s) for pts, t, s in raw]


def values(fields):
    return {key: entry["value"] for key, entry in fields.items()}


def test_label_and_value_in_one_box():
    raw = [
        box(600, 50, "营业执照"),
        box(90, 150, f"统一社会信用代码{CODE}"),
        box(150, 250, "名称：杭州甲乙科技有限公司"),
        box(150, 330, "类型：有限责任公司(自然人投资或控股)"),
        box(150, 410, "法定代表人：王小明"),
        box(150, 490, "注册资本：壹佰万元整"),
        box(150, 570, "成立日期：2019年03月05日"),
        box(150, 650, "住所：浙江省杭州市西湖区文三路1号"),
        box(150, 730, "经营范围：技术开发"),
    ]
    assert values(parsing.read_fields(raw)) == {
        "credit_code": CODE,
        "name": "杭州甲乙科技有限公司",
        "type": "有限责任公司（自然人投资或控股）",
        "legal_rep": "王小明",
        "capital": "壹佰万元整",
        "established": "2019-03-05",
        "address": "浙江省杭州市西湖区文三路1号",
    }


def test_two_columns_on_a_tilted_photo_with_spaced_labels_split_into_boxes():
    raw = [
        box(90, 150, "统一社会信用代码", h=24),
        box(360, 150, CODE, h=24),
        box(90, 300, "名", w=30),
        box(170, 300, "称", w=30),
        box(290, 300, "苏州丙丁电子有限公司"),
        box(850, 300, "注册资本"),
        box(1040, 300, "伍佰万元整"),
        box(90, 390, "类型"),
        box(290, 390, "股份有限公司(非上市)"),
        box(850, 390, "成立日期"),
        box(1040, 390, "2008年7月9日"),
        box(90, 480, "负责人"),
        box(290, 480, "李四"),
        box(850, 480, "经营场所"),
        box(1040, 480, "江苏省苏州市工业园区星湖街8号"),
        box(90, 570, "经营范围"),
        box(290, 570, "销售电子产品"),
    ]
    fields = parsing.read_fields(tilt(raw, 3.5))
    assert values(fields) == {
        "credit_code": CODE,
        "name": "苏州丙丁电子有限公司",
        "capital": "伍佰万元整",
        "type": "股份有限公司（非上市）",
        "established": "2008-07-09",
        "legal_rep": "李四",
        "address": "江苏省苏州市工业园区星湖街8号",
    }
    assert fields["established"]["raw"] == "2008年7月9日"


def test_the_value_under_its_label():
    raw = [
        box(100, 100, "统一社会信用代码", w=220),
        box(100, 145, CODE, w=300),
        box(100, 250, "名称"),
        box(100, 295, "深圳戊己贸易有限公司"),
        box(700, 250, "住所"),
        box(700, 295, "广东省深圳市南山区科技园"),
    ]
    assert values(parsing.read_fields(raw)) == {
        "credit_code": CODE,
        "name": "深圳戊己贸易有限公司",
        "address": "广东省深圳市南山区科技园",
    }


def test_a_short_label_inside_a_value_is_a_word_not_a_label():
    raw = [box(100, 100, "名称：名称类型咨询有限公司"), box(100, 180, "类型：个人独资企业")]
    assert values(parsing.read_fields(raw)) == {
        "name": "名称类型咨询有限公司",
        "type": "个人独资企业",
    }


def test_the_code_without_its_label_and_a_misread_code_are_found_and_corrected():
    raw = [box(100, 100, "9I330106DY1FUBJH69"), box(100, 200, "名称：某某有限公司")]
    fields = parsing.read_fields(raw)
    assert fields["credit_code"]["value"] == CODE
    assert fields["credit_code"]["status"] == "corrected"
    assert fields["credit_code"]["raw"] == "9I330106DY1FUBJH69"
    assert fields["credit_code"]["confidence"] < 0.99


def test_an_unreadable_date_is_left_for_the_user_with_what_was_read():
    fields = parsing.read_fields([box(100, 100, "成立日期：2019年13月40日")])
    assert fields["established"] == {"value": "", "confidence": 0.0, "raw": "2019年13月40日"}


def test_a_picture_without_labels_gives_no_fields():
    assert parsing.read_fields([box(100, 100, "Hello"), box(100, 200, "今天天气很好")]) == {}
    assert parsing.read_fields([]) == {}
