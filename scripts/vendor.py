"""Copy the front-end libraries installed by npm into salesops/web/static/vendor.

The files come from node_modules (package.json + package-lock.json); the copies are
build output, ignored by git.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NM = ROOT / "node_modules"
DEST = ROOT / "salesops" / "web" / "static" / "vendor"

FILES = {
    "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
    "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
    "@tabler/icons-webfont/dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff": "tabler-icons/fonts/tabler-icons.woff",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf": "tabler-icons/fonts/tabler-icons.ttf",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "@alpinejs/csp/dist/cdn.min.js": "alpinejs/alpine-csp.min.js",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "sortablejs/Sortable.min.js": "sortablejs/Sortable.min.js",
    "idb/build/umd.js": "idb/idb.umd.js",
}


def main() -> int:
    missing = [src for src in FILES if not (NM / src).exists()]
    if missing:
        print("missing from node_modules (run npm ci):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for src, dst in FILES.items():
        target = DEST / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NM / src, target)
    print(f"copied {len(FILES)} front-end files to {DEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
