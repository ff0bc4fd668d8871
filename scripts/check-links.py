#!/usr/bin/env python3
"""Check the relative links of the repository's Markdown files: the file exists and, for
`file.md#anchor`, the anchor is a heading (GitHub's slug) or an explicit `<a id>` there.
Exit 1 listing every broken link. External (http, mailto) links are not checked."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["README.md", "tests/README.md", "packaging/README.md"] + [
    os.path.join("docs", f) for f in sorted(os.listdir(os.path.join(ROOT, "docs"))) if f.endswith(".md")
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")


def slug(heading):
    text = heading.strip().lstrip("#").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    found = set()
    counts = {}
    in_fence = False
    for line in open(path, encoding="utf-8"):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("#"):
            s = slug(line)
            n = counts.get(s, 0)
            found.add(s if n == 0 else f"{s}-{n}")
            counts[s] = n + 1
        found.update(re.findall(r'<a id="([^"]+)"', line))
    return found


def main():
    broken = []
    cache = {}
    for name in FILES:
        path = os.path.join(ROOT, name)
        if not os.path.exists(path):
            continue
        in_fence = False
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            if FENCE.match(line):
                in_fence = not in_fence
            if in_fence:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                if not os.path.exists(dest):
                    broken.append(f"{name}:{number}: {target}: no such file")
                    continue
                if anchor and dest.endswith(".md"):
                    if dest not in cache:
                        cache[dest] = anchors(dest)
                    if anchor not in cache[dest]:
                        broken.append(f"{name}:{number}: {target}: no such anchor")
    for b in broken:
        print(b)
    if broken:
        print(f"{len(broken)} broken link(s)")
        return 1
    print(f"links ok in {len(FILES)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
