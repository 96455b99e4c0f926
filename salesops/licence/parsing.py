"""From the text boxes OCR found on a 营业执照 to its fields.

Layouts differ: 名称：… in one run of text, the label in one box and the value in the box
to its right, two columns of label/value pairs on one line, or the value under its label.
So the boxes are first straightened (the photo's tilt, measured on the long boxes), put
into lines by their height on the page, and read left to right: a label's value is what
follows it up to the next label on the line, or, when nothing does, what lies under it in
its column on the next line."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from . import creditcode

FIELDS = ("name", "credit_code", "legal_rep", "address", "capital", "type", "established")

LABELS = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "name": ("名称", "企业名称"),
    "legal_rep": ("法定代表人", "执行事务合伙人", "负责人", "经营者", "投资人"),
    "address": ("主要经营场所", "经营场所", "营业场所", "住所"),
    "capital": ("注册资本", "出资额"),
    "type": ("类型", "组成形式"),
    "established": ("成立日期", "注册日期"),
    # Not read, but they end the value before them.
    "_stop": ("经营范围", "营业期限", "合伙期限", "登记机关", "发证日期"),
}
_BY_LABEL = {label: key for key, labels in LABELS.items() for label in labels}
_LABEL_RE = re.compile("|".join(sorted(map(re.escape, _BY_LABEL), key=len, reverse=True)))
_SPACE = re.compile(r"[\s\u3000]+")
_EDGE = ":：;；,，.。·|_ "
_DATE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})")
_CODE_TOKEN = re.compile(r"[0-9A-Z]{18}")
_PARENS = str.maketrans({"(": "（", ")": "）"})


@dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _tilt(raw: list) -> float:
    """The photo's tilt in radians: the median slope of the long boxes' top edges."""
    angles = []
    for points, _text, _score in raw:
        (x0, y0), (x1, y1) = points[0], points[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(points[3][0] - x0, points[3][1] - y0)
        if width > 3 * max(height, 1):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


def boxes(raw: list) -> list[Box]:
    """RapidOCR's ``[(four points, text, score), …]`` as straightened, axis-aligned boxes."""
    angle = -_tilt(raw)
    cos, sin = math.cos(angle), math.sin(angle)
    result = []
    for points, text, score in raw:
        xs = [x * cos - y * sin for x, y in points]
        ys = [x * sin + y * cos for x, y in points]
        text = _SPACE.sub("", str(text))
        if text:
            result.append(Box(min(xs), min(ys), max(xs), max(ys), text, float(score)))
    return result


def lines(items: list[Box]) -> list[list[Box]]:
    """Boxes grouped by their height on the page, each line left to right."""
    if not items:
        return []
    tolerance = 0.6 * statistics.median(b.height for b in items)
    result: list[list[Box]] = []
    for box in sorted(items, key=lambda b: b.cy):
        if result and abs(box.cy - statistics.fmean(b.cy for b in result[-1])) <= tolerance:
            result[-1].append(box)
        else:
            result.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in result]


@dataclass
class _Label:
    key: str
    line: int
    box: int  # index in the line of the box the label starts in
    start: int  # offsets in the line's joined text
    end: int


def _labels(line: list[Box], number: int) -> list[_Label]:
    found = []
    offset = 0
    joined = "".join(b.text for b in line)
    starts = []
    for box in line:
        starts.append(offset)
        offset += len(box.text)
    for match in _LABEL_RE.finditer(joined):
        box_index = max(i for i, s in enumerate(starts) if s <= match.start())
        at_box_start = match.start() == starts[box_index]
        # A short label (名称, 类型) counts only where a box starts: inside a value it is a word.
        if at_box_start or len(match.group()) >= 4:
            found.append(_Label(_BY_LABEL[match.group()], number, box_index, *match.span()))
    return found


def _span_boxes(line: list[Box], start: int, end: int) -> list[Box]:
    out, offset = [], 0
    for box in line:
        if offset < end and offset + len(box.text) > start:
            out.append(box)
        offset += len(box.text)
    return out


def _below(all_lines, label: _Label, right_edge: float) -> tuple[str, list[Box]]:
    """The value under a label with nothing after it: the next line's boxes in its column."""
    head = all_lines[label.line][label.box]
    for line in all_lines[label.line + 1 : label.line + 3]:
        if line[0].cy - head.cy > 3 * head.height:
            break
        picked = [b for b in line if head.x0 - 2 * head.height <= b.x0 < right_edge]
        if picked and not _labels(picked, 0):
            return "".join(b.text for b in picked), picked
    return "", []


def _score(used: list[Box]) -> float:
    return round(min((b.score for b in used), default=0.0), 3)


def read_fields(raw: list) -> dict[str, dict]:
    """``{field: {"value", "confidence", …}}`` for the fields found (absent when not)."""
    all_lines = lines(boxes(raw))
    fields: dict[str, dict] = {}
    for number, line in enumerate(all_lines):
        joined = "".join(b.text for b in line)
        found = _labels(line, number)
        for i, label in enumerate(found):
            if label.key == "_stop" or label.key in fields:
                continue
            end = found[i + 1].start if i + 1 < len(found) else len(joined)
            value = joined[label.end : end].strip(_EDGE)
            used = _span_boxes(line, label.end, end) if value else []
            if not value:
                right = line[found[i + 1].box].x0 if i + 1 < len(found) else math.inf
                value, used = _below(all_lines, label, right)
                value = value.strip(_EDGE)
            if value:
                fields[label.key] = {"value": value, "confidence": _score(used)}
    _finish_code(fields, all_lines)
    _finish_date(fields)
    for key in ("name", "type", "address", "capital", "legal_rep"):
        if key in fields:
            fields[key]["value"] = fields[key]["value"].translate(_PARENS)
    return fields


def _finish_code(fields: dict, all_lines) -> None:
    entry = fields.get("credit_code")
    text = creditcode.clean(entry["value"]) if entry else ""
    if len(text) != creditcode.LENGTH:
        # No label, or more than the code after it: an 18-character run anywhere will do.
        tokens = [
            (creditcode.clean(b.text), b.score)
            for line in all_lines
            for b in line
            if _CODE_TOKEN.search(creditcode.clean(b.text))
        ]
        for token, score in tokens:
            match = _CODE_TOKEN.search(token[-18:] if len(token) > 18 else token)
            if match:
                text, entry = match.group(), {"value": match.group(), "confidence": score}
                break
    if not text:
        fields.pop("credit_code", None)
        return
    reading = creditcode.correct(text)
    confidence = entry["confidence"]
    if reading.status == creditcode.CORRECTED:
        confidence *= 0.9
    elif reading.status == creditcode.UNCHECKED:
        confidence = min(confidence, 0.3)
    fields["credit_code"] = {
        "value": reading.value,
        "confidence": round(confidence, 3),
        "status": reading.status,
        "raw": reading.raw,
    }


def _finish_date(fields: dict) -> None:
    entry = fields.get("established")
    if not entry:
        return
    match = _DATE.search(entry["value"])
    if match:
        year, month, day = (int(g) for g in match.groups())
        if 1949 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
            entry["raw"] = entry["value"]
            entry["value"] = f"{year:04d}-{month:02d}-{day:02d}"
            return
    entry["raw"] = entry["value"]
    entry["value"] = ""
    entry["confidence"] = 0.0
