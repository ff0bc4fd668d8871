#!/usr/bin/env python3
"""Import structure check: no import circle and no import that runs back up the layers.

Reads `use crate::…` / `crate::…` / `super::…` paths in the gateway crate and the desktop
shell, and `import … from './…'` in the web UI, at file level (test modules and test files
are left out; a module file naming its own submodules, its facade, is not an import). Then:

  * circles: strongly connected groups of files that import each other;
  * rules: the layering rules of docs/development.md ("Layers"), each a pattern of files
    that must not import another pattern.

Known violations are listed in scripts/import-check.allow (one `circle: <file>` or
`rule: <name>: <from> -> <to>` per line). The check fails on anything not listed there, and
on a listed entry that no longer occurs (so the list only shrinks).

    scripts/import-check.py            # check (CI)
    scripts/import-check.py --list     # print every finding in the allow-file format
"""

import os
import re
import sys
from fnmatch import fnmatch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUST_CRATES = ["src-tauri/gateway/src", "src-tauri/src"]
UI_DIR = "ui"
ALLOW_FILE = os.path.join(ROOT, "scripts", "import-check.allow")

GW = "src-tauri/gateway/src/"

# (name, files checked, files exempt from the check, forbidden imports, allowed among those)
RULES = [
    ("nothing below api imports api", [GW + "*"],
     [GW + "api/*", GW + "cli/*", GW + "lib.rs", GW + "main.rs"], [GW + "api/*"], []),
    ("the server does not import api", [GW + "server/*"], [], [GW + "api/*"], []),
    ("converters import only error, Kiro's wire vocabulary and themselves", [GW + "convert/*"], [],
     [GW + "*"], [GW + "convert/*", GW + "error.rs", GW + "kiro/events.rs", GW + "kiro/events/*",
                  GW + "kiro/models/reasoning_schema.rs"]),
    ("the shell never imports api", ["src-tauri/src/*"], [], [GW + "api/*"], []),
    ("views import ui/lib, never app.js", ["ui/views/*"], [], ["ui/app.js"], []),
]


def matches(path, globs):
    return any(fnmatch(path, g) for g in globs)


TEST_FILE = re.compile(r"(^|/)(tests|test_vectors|[a-z_]+_tests)\.rs$")
USE_START = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+")
PATH_REF = re.compile(r"\b(crate|super|self|kiro_gateway)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def rust_files(crate_dir):
    base = os.path.join(ROOT, crate_dir)
    for dirpath, _, names in os.walk(base):
        for name in names:
            if name.endswith(".rs"):
                path = rel(os.path.join(dirpath, name))
                if not TEST_FILE.search(path):
                    yield path


def module_of(crate_dir, path):
    parts = path[len(crate_dir) + 1:-3].split("/")
    if parts[-1] in ("lib", "main"):
        return []
    if parts[-1] == "mod":
        return parts[:-1]
    return parts


def code_lines(path):
    """The file's lines up to its first `#[cfg(test)]`, without line comments."""
    out = []
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith("#[cfg(test)]"):
                break
            out.append(line.split("//")[0])
    return out


def use_paths(text):
    """Every path named by `use` trees and inline `crate::`/`super::` paths."""
    paths = []
    for m in PATH_REF.finditer(text):
        if text.startswith("::{", m.end()):
            continue  # a group: its members are taken below
        paths.append([m.group(1)] + m.group(2).strip(":").split("::"))
    # Expand `use x::{a, b::c}` groups one level deep (enough for this code base).
    for m in re.finditer(r"\b(crate|super|kiro_gateway)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^{}]*)\}", text):
        head = [m.group(1)] + [p for p in m.group(2).split("::") if p]
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0].strip()
            if item and item not in ("self", "*"):
                paths.append(head + item.split("::"))
    return paths


REEXPORT = re.compile(r"^\s*pub(?:\([^)]*\))?\s+use\s+([^;]+);", re.M)


def expand_use_tree(tree):
    """`a::b::{c, d::e as f}` -> [(["a","b","c"], "c"), (["a","b","d","e"], "f")] (one level)."""
    tree = " ".join(tree.split())
    m = re.match(r"^([A-Za-z_][\w:]*)::\{(.*)\}$", tree)
    items = []
    if m:
        head = m.group(1).split("::")
        for item in m.group(2).split(","):
            item = item.strip()
            if not item or item in ("self", "*") or "{" in item:
                continue
            path, _, alias = item.partition(" as ")
            segs = head + path.strip().split("::")
            items.append((segs, (alias.strip() or segs[-1])))
    else:
        path, _, alias = tree.partition(" as ")
        segs = path.strip().split("::")
        if segs[-1] != "*":
            items.append((segs, alias.strip() or segs[-1]))
    return items


def rust_edges():
    gateway = RUST_CRATES[0]
    modules = {}
    files = []
    for crate in RUST_CRATES:
        for path in rust_files(crate):
            modules[(crate, tuple(module_of(crate, path)))] = path
            files.append((crate, path))
    texts = {path: "".join(code_lines(path)) for _, path in files}

    def absolute(crate, path, segs):
        """A path as written in `path` -> (crate, module segments from the crate root)."""
        here = module_of(crate, path)
        root, rest = segs[0], list(segs[1:])
        if root == "crate":
            return crate, rest
        if root == "kiro_gateway":
            return gateway, rest
        if root in ("super", "self"):
            base = list(here) if root == "self" else list(here[:-1])
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            return crate, base + rest
        if (crate, tuple(here) + (root,)) in modules:  # a child module, named bare
            return crate, list(here) + list(segs)
        return None

    # Names each file re-exports (`pub use x::Y`): importing `file::Y` depends on x.
    reexports = {path: {} for _, path in files}

    def file_for(crate, segs, depth=0):
        for n in range(len(segs), 0, -1):
            found = modules.get((crate, tuple(segs[:n])))
            if found:
                if n < len(segs) and depth < 5:
                    target = reexports.get(found, {}).get(segs[n])
                    if target:
                        return target
                return found
        return None

    for _ in range(3):  # re-exports of re-exports
        for crate, path in files:
            for m in REEXPORT.finditer(texts[path]):
                for segs, name in expand_use_tree(m.group(1)):
                    resolved = absolute(crate, path, segs)
                    if resolved:
                        target = file_for(*resolved)
                        if target and target != path:
                            reexports[path][name] = target

    edges = {}
    for crate, path in files:
        here = tuple(module_of(crate, path))
        targets = set()
        for segs in use_paths(texts[path]) + [
            segs for m in REEXPORT.finditer(texts[path]) for segs, _ in expand_use_tree(m.group(1))
        ]:
            resolved = absolute(crate, path, segs)
            if not resolved:
                continue
            target = file_for(*resolved)
            if not target or target == path:
                continue
            # A module naming its own submodules (its facade) is not a layer above them.
            target_module = next(m for (c, m), f in modules.items() if f == target)
            own_child = resolved[0] == crate and target_module[: len(here)] == here
            if not own_child:
                targets.add(target)
        edges[path] = targets
    return edges


def ui_edges():
    edges = {}
    base = os.path.join(ROOT, UI_DIR)
    for dirpath, _, names in os.walk(base):
        for name in names:
            if not name.endswith(".js"):
                continue
            path = rel(os.path.join(dirpath, name))
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                text = f.read()
            targets = set()
            for m in re.finditer(r"""(?:import|export)\s[^'";]*?from\s+['"](\.{1,2}/[^'"]+)['"]|import\(\s*['"](\.{1,2}/[^'"]+)['"]""", text):
                spec = m.group(1) or m.group(2)
                target = os.path.normpath(os.path.join(os.path.dirname(path), spec)).replace(os.sep, "/")
                targets.add(target)
            edges[path] = targets
    return edges


def circles(edges):
    """Tarjan's strongly connected components with more than one file."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def findings():
    edges = rust_edges()
    edges.update(ui_edges())
    found = set()
    for group in circles(edges):
        for f in group:
            found.add(f"circle: {f}")
    for name, sources, exempt, targets, allowed in RULES:
        for f, imported in edges.items():
            if not matches(f, sources) or matches(f, exempt):
                continue
            for t in imported:
                if matches(t, targets) and not matches(t, allowed):
                    found.add(f"rule: {name}: {f} -> {t}")
    return found


def main():
    found = findings()
    if "--list" in sys.argv:
        print("\n".join(sorted(found)))
        return 0
    allowed = set()
    if os.path.exists(ALLOW_FILE):
        with open(ALLOW_FILE, encoding="utf-8") as f:
            allowed = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    new = sorted(found - allowed)
    gone = sorted(allowed - found)
    for line in new:
        print(f"new import problem: {line}")
    for line in gone:
        print(f"fixed, remove from scripts/import-check.allow: {line}")
    circles_left = len([l for l in found if l.startswith("circle:")])
    rules_left = len([l for l in found if l.startswith("rule:")])
    print(f"import check: {circles_left} files in known circles, {rules_left} known rule breaks, "
          f"{len(new)} new, {len(gone)} fixed")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
