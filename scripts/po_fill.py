"""Fill msgstr entries of a gettext catalogue from a JSON {msgid: msgstr} file.

Used when adding translations in bulk: `python scripts/po_fill.py django.po zh.json`.
Existing non-empty msgstr entries are kept unless --overwrite is given. Plural entries
(msgid_plural) take the same text for every form, which is right for Chinese.
"""

import argparse
import json
import re
import sys


def unquote(line: str) -> str:
    return json.loads(line)


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def parse_block(lines):
    """Return (msgid, has_plural) of one catalogue entry."""
    msgid, current, plural = [], None, False
    for line in lines:
        if line.startswith("msgid "):
            current = msgid
            current.append(unquote(line[6:]))
        elif line.startswith("msgid_plural "):
            plural, current = True, None
        elif line.startswith("msgstr"):
            current = None
        elif line.startswith('"') and current is not None:
            current.append(unquote(line))
    return "".join(msgid), plural


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("po")
    ap.add_argument("translations")
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args()
    table = json.load(open(args.translations, encoding="utf-8"))
    text = open(args.po, encoding="utf-8").read()
    blocks = text.split("\n\n")
    missing = []
    for i, block in enumerate(blocks):
        lines = block.split("\n")
        msgid, plural = parse_block(lines)
        if not msgid:
            continue
        has_text = any(re.match(r'msgstr(\[\d\])? "(.+)"', ln) for ln in lines)
        if has_text and not args.overwrite:
            continue
        if msgid not in table:
            missing.append(msgid)
            continue
        head = [
            ln
            for ln in lines
            if not ln.startswith("msgstr") and not (ln.startswith('"') and _after_msgstr(lines, ln))
        ]
        if plural:
            head += [f"msgstr[0] {quote(table[msgid])}"]
        else:
            head += [f"msgstr {quote(table[msgid])}"]
        blocks[i] = "\n".join(head)
    open(args.po, "w", encoding="utf-8").write("\n\n".join(blocks))
    for m in missing:
        print("untranslated:", m, file=sys.stderr)
    return 0


def _after_msgstr(lines, target):
    seen = False
    for ln in lines:
        if ln.startswith("msgstr"):
            seen = True
        if ln is target:
            return seen
    return False


if __name__ == "__main__":
    sys.exit(main())
