"""Pictures for the licence tests: one synthetic licence (with its true fields), a photo
that is no licence, and files that are no photo at all."""

from __future__ import annotations

import io
import random

import pytest

from salesops.licence.tests import synthetic


def needs_font():
    if not synthetic.FONT_PATH.exists():
        pytest.skip(
            f"the CJK font {synthetic.FONT_PATH} is missing: run `make system-deps` "
            "(fonts-wqy-microhei) to draw the synthetic licences"
        )


@pytest.fixture(scope="session")
def licence_photo(tmp_path_factory):
    """(JPEG bytes, true fields) of one synthetic licence (the classic layout)."""
    needs_font()
    from faker import Faker

    faker = Faker("zh_CN")
    faker.seed_instance(7)
    lic = synthetic.make_licence(random.Random(7), faker, 0, tmp_path_factory.mktemp("lic"))
    return lic.path.read_bytes(), lic.truth


def png_bytes(width: int, height: int, *, noise: bool = False, text: str = "") -> bytes:
    import numpy as np
    from PIL import Image, ImageDraw

    if noise:
        pixels = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
        img = Image.fromarray(pixels)
    else:
        img = Image.new("RGB", (width, height), "white")
    if text:
        needs_font()
        from PIL import ImageFont

        font = ImageFont.truetype(str(synthetic.FONT_PATH), 48)
        ImageDraw.Draw(img).text((40, height // 2 - 30), text, font=font, fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def holiday_photo():
    """A picture with words on it, but no licence."""
    return png_bytes(900, 600, text="周末去海边 Holiday 2026")


@pytest.fixture(autouse=True)
def _photos_of_this_test(settings, tmp_path):
    """Each test its own photo directory, so that "nothing stored" means this test's."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
