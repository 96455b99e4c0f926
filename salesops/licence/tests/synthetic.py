"""A seeded set of synthetic 营业执照 photos with their true fields (the OCR test set and
the benchmark's). Nothing is committed: the images are drawn into a directory at run time.

Each licence is drawn on a page, then photographed badly: rotated by 1–4°, blurred, with
noise, and saved as JPEG of quality 40–90. Three layouts: one column (label and value in
one text run), a QR box with labels and values in separate boxes, and the current
two-column form with spaced labels (名　　称)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Characters OCR confuses: codes rich in them, and a few drawn with the wrong glyph.
_CONFUSABLE = "0186B2G5"
_MISDRAWN = {"0": "O", "1": "I", "2": "Z", "5": "S"}

DIVISIONS = ("110105", "310115", "440300", "330106", "320505", "510107", "420106", "370202")
TYPES = (
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "股份有限公司（非上市）",
    "个人独资企业",
    "有限合伙企业",
    "有限责任公司（法人独资）",
)
CAPITAL_CN = (
    "壹佰万元整",
    "伍佰万元整",
    "叁仟万元整",
    "贰佰伍拾万元整",
    "壹仟万元整",
    "伍拾万元整",
)
SCOPES = (
    "技术开发、技术咨询、技术服务；软件开发；计算机系统服务；数据处理",
    "销售五金交电、电子产品、机械设备；货物进出口；技术进出口",
    "企业管理咨询；市场营销策划；会议及展览服务；广告设计、代理",
)
FIELDS = ("name", "credit_code", "legal_rep", "address", "capital", "type", "established")
LAYOUTS = ("classic", "qr", "two_column")


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total) % 31]


def credit_code(rnd: random.Random, *, confusable: bool = False) -> str:
    pool = _CONFUSABLE if confusable else ALPHABET
    body = "9" + rnd.choice("123") + rnd.choice(DIVISIONS)
    body += "".join(rnd.choice(pool) for _ in range(9))
    return body + check_char(body)


@dataclass
class Licence:
    path: Path
    layout: str
    truth: dict = field(default_factory=dict)
    drawn_code: str = ""


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_PATH), size)


def _spaced(label: str) -> str:
    return "\u3000\u3000".join(label) if len(label) == 2 else label


def _fake_qr(draw, rnd, x: int, y: int, size: int) -> None:
    cell = size // 21
    draw.rectangle([x, y, x + size, y + size], outline="black", width=2)
    for i in range(21):
        for j in range(21):
            if rnd.random() < 0.5:
                draw.rectangle(
                    [x + i * cell, y + j * cell, x + (i + 1) * cell, y + (j + 1) * cell],
                    fill="black",
                )


def _page(rnd: random.Random, lic: Licence):
    from PIL import Image, ImageDraw

    width, height = 1600, 1130
    img = Image.new("RGB", (width, height), (250, 247, 238))
    draw = ImageDraw.Draw(img)
    draw.rectangle([20, 20, width - 20, height - 20], outline=(170, 120, 60), width=10)
    draw.text((width // 2, 110), "营 业 执 照", font=_font(78), fill=(150, 20, 20), anchor="mm")
    t = lic.truth
    small, body = _font(26), _font(32)
    code_line = f"统一社会信用代码 {lic.drawn_code}"
    fields = [
        ("名称", t["name"]),
        ("类型", t["type"]),
        (lic.truth_rep_label, t["legal_rep"]),
        ("注册资本", t["capital_text"]),
        ("成立日期", t["established_text"]),
        (lic.truth_addr_label, t["address"]),
    ]
    if lic.layout == "classic":
        draw.text((90, 200), code_line, font=body, fill="black")
        y = 300
        for label, value in fields:
            draw.text((150, y), f"{label}：{value}", font=body, fill="black")
            y += 80
        draw.text((150, y), f"经营范围：{rnd.choice(SCOPES)}", font=small, fill="black")
    elif lic.layout == "qr":
        _fake_qr(draw, rnd, width - 300, 190, 210)
        draw.text((90, 200), "统一社会信用代码", font=small, fill="black")
        draw.text((90, 240), lic.drawn_code, font=body, fill="black")
        y = 330
        for label, value in fields:
            draw.text((140, y), _spaced(label), font=body, fill="black")
            draw.text((470, y), value, font=body, fill="black")
            y += 85
    else:  # two_column: the 2019 form
        _fake_qr(draw, rnd, width - 260, 170, 170)
        draw.text((90, 200), code_line, font=small, fill="black")
        left, right = fields[0:3], fields[3:6]
        y = 330
        for (l_label, l_value), (r_label, r_value) in zip(left, right, strict=True):
            draw.text((90, y), _spaced(l_label), font=small, fill="black")
            draw.text((290, y), l_value, font=small, fill="black")
            draw.text((850, y), _spaced(r_label), font=small, fill="black")
            draw.text((1040, y), r_value, font=small, fill="black")
            y += 90
        draw.text((90, y), "经营范围", font=small, fill="black")
        draw.text((290, y), rnd.choice(SCOPES), font=small, fill="black")
    # The seal: a red ring over the issuing authority.
    cx, cy = width - 330, height - 200
    draw.ellipse([cx - 110, cy - 110, cx + 110, cy + 110], outline=(200, 30, 30), width=6)
    draw.text((cx - 220, cy + 40), "登记机关", font=small, fill="black")
    return img


def _photograph(rnd: random.Random, img):
    import numpy as np
    from PIL import Image, ImageFilter

    angle = rnd.choice((-1, 1)) * rnd.uniform(1, 4)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(90, 85, 80))
    img = img.filter(ImageFilter.GaussianBlur(rnd.uniform(0.3, 1.3)))
    arr = np.asarray(img).astype(np.int16)
    noise = np.random.default_rng(rnd.randrange(1 << 30)).normal(0, rnd.uniform(3, 10), arr.shape)
    arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def make_licence(rnd: random.Random, faker, index: int, directory: Path) -> Licence:
    layout = LAYOUTS[index % len(LAYOUTS)]
    code = credit_code(rnd, confusable=index % 4 == 1)
    drawn = code
    if index % 5 == 2:  # one character printed with its confusable letter
        spots = [i for i, c in enumerate(code) if c in _MISDRAWN]
        if spots:
            i = rnd.choice(spots)
            drawn = code[:i] + _MISDRAWN[code[i]] + code[i + 1 :]
    established = date(2005, 1, 1) + timedelta(days=rnd.randrange(6500))
    address = faker.street_address() if rnd.random() < 0.3 else faker.address()
    address = address.rsplit(" ", 1)[0]  # Faker appends a postcode
    company = faker.company()
    lic = Licence(path=directory / f"licence_{index:03d}.jpg", layout=layout, drawn_code=drawn)
    lic.truth = {
        "name": company,
        "credit_code": code,
        "legal_rep": faker.name(),
        "address": address,
        "capital_text": rnd.choice(CAPITAL_CN),
        "type": rnd.choice(TYPES),
        "established": established.isoformat(),
        "established_text": f"{established.year}年{established.month:02d}月{established.day:02d}日",
    }
    lic.truth["capital"] = lic.truth["capital_text"]
    lic.truth_rep_label = rnd.choice(("法定代表人", "法定代表人", "负责人"))
    lic.truth_addr_label = rnd.choice(("住所", "住所", "经营场所"))
    img = _photograph(rnd, _page(rnd, lic))
    img.save(lic.path, "JPEG", quality=rnd.randint(40, 90))
    return lic


def make_set(directory: Path, count: int = 24, seed: int = 20261205) -> list[Licence]:
    """``count`` licences drawn into ``directory``; the same seed draws the same set."""
    from faker import Faker

    if not FONT_PATH.exists():
        raise FileNotFoundError(FONT_PATH)
    directory.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    return [make_licence(rnd, faker, i, directory) for i in range(count)]


@dataclass
class Evaluation:
    """Per-field accuracy over a set (a field is right when the value read, after the
    parser's normalisation, equals the truth exactly) and the seconds per image."""

    count: int
    accuracy: dict
    seconds: list
    cpu_seconds: list  # all threads' CPU time: what the machine's other load does not inflate
    misses: list


def evaluate(licences: list[Licence]) -> Evaluation:
    """Read each licence once (OCR + fields) and compare with its truth."""
    import time

    from salesops.licence import ocr, parsing

    right = dict.fromkeys(FIELDS, 0)
    seconds, cpu, misses = [], [], []
    for lic in licences:
        started, cpu_started = time.perf_counter(), time.process_time()
        fields = parsing.read_fields(ocr.read(lic.path).boxes)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        for key in FIELDS:
            got = fields.get(key, {}).get("value")
            if got == lic.truth[key]:
                right[key] += 1
            else:
                misses.append((lic.path.name, lic.layout, key, lic.truth[key], got))
    accuracy = {key: right[key] / len(licences) for key in FIELDS}
    return Evaluation(
        count=len(licences), accuracy=accuracy, seconds=seconds, cpu_seconds=cpu, misses=misses
    )
