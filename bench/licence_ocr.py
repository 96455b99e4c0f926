"""Business-licence OCR benchmark: seconds per image and per-field accuracy over the
synthetic set (salesops/licence/tests/synthetic.py).

    .venv/bin/python bench/licence_ocr.py                 # 24 images
    .venv/bin/python bench/licence_ocr.py --count 60      # a bigger set (same seed)

**Figures** (``bench/results/licence_ocr-<db>.json``; the database is not used):

* ``engine_load_s`` — loading RapidOCR's three ONNX models (once per worker process).
* ``per_image_s`` — median / p95 / max seconds per image: EXIF turn + scale to 1,280 px,
  detection + recognition (angle classifier off), field parsing. Target: ≤ 5 s on the
  2-core machine. ``cpu_per_image_s``: the CPU seconds of all the process's threads per
  image (ONNX Runtime uses both cores), which other programs' load does not inflate: on an
  idle 2-core machine the wall time is about half of it. ``load_average_during`` tells
  how busy the machine was.
* ``accuracy`` — per field, the share of images whose value read equals the truth exactly
  (``overall`` is the mean over the seven fields); ``by_layout`` the same per layout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile, setup_django, write_result  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args()
    setup_django("sqlite:///var/bench/licence_ocr.sqlite3")

    from salesops.licence import ocr
    from salesops.licence.tests import synthetic

    started = time.perf_counter()
    ocr.engine()
    load = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        licences = synthetic.make_set(Path(directory), count=args.count, seed=args.seed)
        result = synthetic.evaluate(licences)
        by_layout = {}
        for layout in synthetic.LAYOUTS:
            subset = [lic for lic in licences if lic.layout == layout]
            names = {lic.path.name for lic in subset}
            wrong = sum(1 for miss in result.misses if miss[0] in names)
            by_layout[layout] = round(1 - wrong / (len(subset) * len(synthetic.FIELDS)), 3)
    accuracy = {key: round(value, 3) for key, value in result.accuracy.items()}
    accuracy["overall"] = round(statistics.fmean(result.accuracy.values()), 3)
    figures = {
        "images": result.count,
        "engine_load_s": round(load, 2),
        "per_image_s": {
            "median": round(statistics.median(result.seconds), 2),
            "p95": round(percentile(result.seconds, 95), 2),
            "max": round(max(result.seconds), 2),
        },
        "cpu_per_image_s": {
            "median": round(statistics.median(result.cpu_seconds), 2),
            "p95": round(percentile(result.cpu_seconds, 95), 2),
        },
        "load_average_during": round(os.getloadavg()[0], 2),
        "accuracy": accuracy,
        "by_layout": by_layout,
        "misses": [list(miss) for miss in result.misses],
    }
    write_result(
        "licence_ocr",
        figures,
        summary=(
            f"{result.count} images, median {figures['per_image_s']['median']} s, "
            f"p95 {figures['per_image_s']['p95']} s, overall accuracy {accuracy['overall']:.1%}"
        ),
    )


if __name__ == "__main__":
    main()
