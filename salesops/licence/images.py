"""The checks of an uploaded photo, before anything is stored: its size against
Settings · Business licence, its first bytes, and Pillow reading it through."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MB = 1_048_576
MAX_PIXELS = 50_000_000  # a 50-megapixel photo decodes to 150 MB; none is needed to read
MIN_SIDE = 200  # pixels: anything smaller cannot hold a legible licence

# Formats a phone's camera or gallery gives that Pillow reads: the file's own first bytes
# decide, not its name or the Content-Type the browser sent.
_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
)


def kind_of(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _refuse(message: str) -> ValidationError:
    return ValidationError({"image": [message]})


def check_upload(upload, *, max_mb: int) -> tuple[bytes, str]:
    """The photo's bytes and its kind (jpg, png, webp, bmp); ValidationError on ``image``."""
    if upload is None:
        raise _refuse(_("Choose a photo of the business licence (JPEG, PNG or WebP)."))
    if upload.size > max_mb * MB:
        raise _refuse(
            _(
                "The photo is %(size)s; the largest accepted is %(max)d MB. Take the photo "
                "again at a lower resolution, or ask an admin to raise the limit in "
                "Settings · Business licence."
            )
            % {"size": filesizeformat(upload.size), "max": max_mb}
        )
    data = upload.read()
    not_image = _(
        "This file is not a photo: choose a JPEG, PNG or WebP picture of the business licence."
    )
    kind = kind_of(data[:16])
    if kind is None:
        raise _refuse(not_image)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    _(
                        "The photo has %(mp)d megapixels; the most read is %(max)d. Take it "
                        "again at a lower resolution."
                    )
                    % {"mp": width * height // 1_000_000, "max": MAX_PIXELS // 1_000_000}
                )
            img.load()  # verify() checks the structure; decoding finds a cut-off file
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(not_image) from None
    if min(width, height) < MIN_SIDE:
        raise _refuse(
            _(
                "The photo is only %(width)d×%(height)d pixels: too small to read. Take it "
                "again with the whole licence filling the picture."
            )
            % {"width": width, "height": height}
        )
    return data, kind
