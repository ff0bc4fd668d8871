#!/usr/bin/env python3
"""Point protocol references in Rust sources at docs/kiro-protocol.md.

Older comments cite sections of an external research document by number ("protocol doc
§5.9", "(§9.6)", "kiro-protocol.md §10"). This script rewrites every such reference in the
*.rs files under src-tauri/ and tests/ to the anchors of the repository's own protocol
reference, e.g. "docs/kiro-protocol.md#reasoning", using the table below. Comment paragraphs
that grow past 100 columns are re-wrapped. It is idempotent: a second run changes nothing.

    scripts/protocol-refs.py            rewrite, print each change
    scripts/protocol-refs.py --check    change nothing; exit 1 if a "§<digit>" reference is
                                        left in a .rs file or a reference names an anchor
                                        that docs/kiro-protocol.md does not define
"""

import argparse
import os
import re
import sys

DOC = "docs/kiro-protocol.md"
WIDTH = 100
ROOTS = ("src-tauri", "tests")
SKIP_DIRS = {"target", "node_modules", ".git", "gen"}

# Section number of the research document -> anchor in docs/kiro-protocol.md. Every section
# of that document is listed, so references added on other branches convert too.
SECTIONS = {
    "0": "reading", "0.1": "sources", "0.2": "reading", "0.3": "reading",
    "1": "topology", "1.1": "hosts", "1.2": "hosts", "1.3": "addressing",
    "2": "credentials", "2.1": "credentials-ide-file", "2.2": "credentials-idc-registration",
    "2.3": "credentials-ide-profile", "2.4": "credentials-cli-db", "2.5": "credentials-plain",
    "2.6": "credentials-api-keys", "2.7": "credentials-external-idp",
    "2.8": "credentials-auth-type", "2.9": "profile-arn", "2.10": "regions",
    "3": "token-refresh", "3.1": "refresh-social", "3.2": "refresh-oidc",
    "3.3": "refresh-timing", "3.4": "refresh-write-back",
    "4": "chat-call", "4.1": "chat-call", "4.2": "request-headers", "4.3": "machine-id",
    "4.4": "request-body", "4.5": "generation-controls", "4.6": "enumerations",
    "5": "conversion-rules", "5.1": "message-sequence", "5.2": "system-prompt",
    "5.3": "empty-content", "5.4": "tools", "5.5": "tool-use-ids", "5.6": "tool-results",
    "5.7": "images", "5.8": "payload-size", "5.9": "reasoning", "5.10": "truncation",
    "5.11": "client-parameters",
    "6": "response-stream", "6.1": "response-http", "6.2": "eventstream-framing",
    "6.3": "eventstream-headers", "6.4": "message-types", "6.5": "events",
    "6.6": "tool-call-assembly", "6.7": "duplicate-text", "6.8": "completion-trailer",
    "6.9": "token-usage", "6.10": "stop-reasons", "6.11": "empty-streams",
    "7": "models", "7.1": "model-catalogue", "7.2": "catalogue-shape", "7.3": "model-ids",
    "7.4": "model-names", "7.5": "model-limits", "7.6": "invalid-model",
    "8": "auxiliary-calls", "8.1": "usage-limits", "8.2": "profiles",
    "8.3": "mcp-web-search", "8.4": "unneeded-calls",
    "9": "errors", "9.1": "error-body", "9.2": "error-catalogue", "9.3": "retries",
    "9.4": "timeouts", "9.5": "mid-stream-failures", "9.6": "error-mapping",
    "10": "fake-server", "10.1": "fake-endpoints", "10.2": "fake-auth",
    "10.3": "fake-validation", "10.4": "fake-responses", "10.5": "fake-observation",
    "10.6": "fake-credentials",
    "11": "worked-example", "11.1": "worked-example-request",
    "11.2": "worked-example-response", "11.3": "worked-example-client",
    "11.4": "worked-example-turn2",
    "12": "test-vectors", "12.1": "test-vectors-summary", "12.2": "test-vectors-hex",
    "12.3": "test-vectors-negative",
    "13": "checklist", "14": "open-questions",
}

NUM = r"\d+(?:\.\d+)?"
REF = rf"§{NUM}(?:[ \t]*[–-][ \t]*{NUM})?"
SEP = r"(?:[ \t]*,[ \t]+and[ \t]+|[ \t]*,[ \t]*|[ \t]*/[ \t]*|[ \t]+and[ \t]+)"
GROUP = rf"(?P<group>{REF}(?:{SEP}{REF})*)"
# What used to name the research document in front of a reference; the link replaces it.
PREFIX = r"(?:(?:protocol doc|`kiro-protocol\.md`|kiro-protocol\.md|\b[Dd]oc)[ \t]+)?"

STRAY = re.compile(r"§\d")
# A link as this script writes it: the first anchor with the path, further ones bare.
LINKS = re.compile(re.escape(DOC) + r"(#[A-Za-z0-9_-]+(?:(?:, and |, | and )#[A-Za-z0-9_-]+)*)")


def expand(token):
    """'§6.2–6.4' -> ['6.2', '6.3', '6.4']; '§2–3' -> ['2', '3']; '§5.9' -> ['5.9']."""
    parts = re.split(r"[ \t]*[–-][ \t]*", token.lstrip("§"))
    if len(parts) == 1:
        return parts
    first, last = parts
    if "." in first and "." in last and first.split(".")[0] == last.split(".")[0]:
        major = first.split(".")[0]
        lo, hi = int(first.split(".")[1]), int(last.split(".")[1])
        return [f"{major}.{n}" for n in range(lo, hi + 1)]
    if "." not in first and "." not in last:
        return [str(n) for n in range(int(first), int(last) + 1)]
    return [first, last]


def render(group, unmapped):
    """The link text for a group of references, or None when a number has no anchor."""
    anchors, joins, join = [], [], ", "
    for i, piece in enumerate(re.split(f"({SEP})", group)):
        if i % 2:
            words = piece.replace(",", " , ").split()
            join = {("and",): " and ", (",", "and"): ", and "}.get(tuple(words), ", ")
            continue
        for number in expand(piece):
            anchor = SECTIONS.get(number)
            if anchor is None:
                unmapped.add(number)
                return None
            if anchor not in anchors:
                if anchors:
                    joins.append(join)
                anchors.append(anchor)
            join = ", "
    return f"{DOC}#{anchors[0]}" + "".join(f"{j}#{a}" for j, a in zip(joins, anchors[1:]))


def rules(unmapped):
    """(pattern, replacement) pairs, most specific first; each keeps the sentence readable."""

    def link(m):
        return render(m.group("group"), unmapped)

    def sub(template):
        def fn(m):
            target = link(m)
            if target is None:
                return m.group(0)
            values = {k: v for k, v in m.groupdict().items() if v is not None}
            return template.format(ref=target, **values)

        return fn

    return [
        # ARCHITECTURE.md is a planning document outside the repository; drop the citation.
        (re.compile(r",[ \t]*ARCHITECTURE\.md §\d+(?:\.\d+)?"), lambda m: ""),
        # "Doc §5.4 Disputed" / "Disputed §5.3" -> "Disputed in <link>"
        (re.compile(PREFIX + GROUP + r" Disputed\b"), sub("Disputed in {ref}")),
        (re.compile(r"\bDisputed " + PREFIX + GROUP), sub("Disputed in {ref}")),
        # "every §5 rule", "the §11 golden bodies" -> "every rule of <link>", ...
        (
            re.compile(
                r"\b(?P<det>the|The|every|per) " + PREFIX + GROUP
                + r" (?P<noun>rules|rule|golden bodies|test vectors|JSON shape|response body)\b"
            ),
            sub("{det} {noun} of {ref}"),
        ),
        # "the §12.3 prelude `0x7fffffff`" -> "the prelude `0x7fffffff` of <link>"
        (
            re.compile(r"\b(?P<det>the|The) " + GROUP + r" (?P<noun>\w+) (?P<code>`[^`\n]+`)"),
            sub("{det} {noun} {code} of {ref}"),
        ),
        # '§12.3 "corrupted payload":' -> '"corrupted payload" (<link>):'
        (re.compile(PREFIX + GROUP + r' (?P<label>"[^"\n]+"):'), sub("{label} ({ref}):")),
        (re.compile(PREFIX + GROUP), sub("{ref}")),
    ]


COMMENT = re.compile(r"^(?P<indent>\s*)(?P<marker>//[/!]?)(?P<body>.*)$")
LIST_ITEM = re.compile(r"^ ?(?:[*-]|\d+\.) ")


def tokens(text):
    """Words of a comment, keeping `code spans` whole so that a wrap never splits one."""
    out, current = [], ""
    for word in text.split():
        current = f"{current} {word}" if current else word
        if current.count("`") % 2 == 0:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def fill(prefix, words):
    """Greedy fill: (the line, the words that did not fit)."""
    line = prefix
    for n, word in enumerate(words):
        if line != prefix and len(line) + 1 + len(word) > WIDTH:
            return line, words[n:]
        line = line + word if line == prefix else f"{line} {word}"
    return line, []


def rewrap(lines, i):
    """Make line i fit: its last words move to the start of the next line of the same comment
    paragraph, and so on only while lines overflow, so later lines stay as they were."""
    m = COMMENT.match(lines[i])
    if not m:
        return lines
    indent, marker, body = m.group("indent"), m.group("marker"), m.group("body")
    ruler = re.match(r"^ (-+) (.*)$", body)
    if ruler:  # "// ------ golden (…)": shorten the ruler, else move the link below it
        text = ruler.group(2)
        keep = max(4, len(ruler.group(1)) - (len(lines[i]) - WIDTH))
        lines[i] = f"{indent}{marker} {'-' * keep} {text}"
        link = re.search(r" ?\(" + re.escape(DOC) + r"[^)]*\)", text)
        if len(lines[i]) > WIDTH and link:
            text = text[: link.start()] + text[link.end():]
            lines[i] = f"{indent}{marker} {ruler.group(1)} {text}"
            lines.insert(i + 1, f"{indent}{marker} {link.group(0).strip()}")
        return lines
    if body.lstrip().startswith(("|", "```", "#")):
        return lines
    lead = re.match(r"^( ?)(\s*)((?:[*-]|\d+\.) )?", body)
    space, pad, item = lead.group(1), lead.group(2), lead.group(3) or ""
    prefix = f"{indent}{marker}{space}{pad}{item}"
    cont = f"{indent}{marker}{space}{pad}{' ' * len(item)}"
    lines[i], carry = fill(prefix, tokens(body[len(space) + len(pad) + len(item):]))
    k = i
    while carry:
        n = COMMENT.match(lines[k + 1]) if k + 1 < len(lines) else None
        rest = None
        if n and n.group("indent") == indent and n.group("marker") == marker:
            nb = n.group("body")
            head = cont[len(indent) + len(marker):]
            if nb.strip() and nb.startswith(head):
                rest = nb[len(head):]
                if rest.startswith((" ", "|", "```", "#")) or LIST_ITEM.match(rest):
                    rest = None
        if rest is None:  # the paragraph ends here: the carried words get lines of their own
            while carry:
                k += 1
                line, carry = fill(cont, carry)
                lines.insert(k, line)
            break
        k += 1
        lines[k], carry = fill(cont, carry + tokens(rest))
    return lines


def rewrite(text, unmapped):
    new = text
    for pattern, repl in rules(unmapped):
        new = pattern.sub(repl, new)
    if new == text:
        return text, []
    old_lines, lines = text.split("\n"), new.split("\n")
    changed = [k for k, (a, b) in enumerate(zip(old_lines, lines)) if a != b]
    report = [(k + 1, old_lines[k].strip(), lines[k].strip()) for k in changed]
    # Re-wrap from the bottom up so that earlier line numbers stay valid.
    for k in reversed(changed):
        if len(lines[k]) > WIDTH:
            lines = rewrap(lines, k)
    return "\n".join(lines), report


def rust_files(repo):
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(repo, root)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(".rs"):
                    yield os.path.join(dirpath, name)


def doc_anchors(repo):
    path = os.path.join(repo, DOC)
    with open(path, encoding="utf-8") as f:
        return set(re.findall(r'<a id="([^"]+)"', f.read()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report only; exit 1 on leftovers")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    anchors = doc_anchors(repo)
    missing = sorted(set(SECTIONS.values()) - anchors)
    if missing:
        print(f"{DOC} lacks anchors the table names: {', '.join(missing)}", file=sys.stderr)
        return 1

    problems, files, edits = 0, 0, 0
    unmapped = set()
    for path in rust_files(repo):
        rel = os.path.relpath(path, repo)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if args.check:
            for n, line in enumerate(text.split("\n"), 1):
                if STRAY.search(line):
                    print(f"{rel}:{n}: section reference left: {line.strip()}")
                    problems += 1
                for m in LINKS.finditer(line):
                    for anchor in re.findall(r"#([A-Za-z0-9_-]+)", m.group(1)):
                        if anchor not in anchors:
                            print(f"{rel}:{n}: {DOC} has no anchor #{anchor}")
                            problems += 1
            continue
        new, report = rewrite(text, unmapped)
        if not report:
            continue
        files += 1
        edits += len(report)
        for n, before, after in report:
            print(f"{rel}:{n}:\n  - {before}\n  + {after}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)

    if args.check:
        if problems:
            print(f"{problems} problem(s); run scripts/protocol-refs.py to convert", file=sys.stderr)
            return 1
        print("no section references left; every link names an existing anchor")
        return 0
    if unmapped:
        print(f"no anchor for: §{', §'.join(sorted(unmapped))} (add them to SECTIONS)",
              file=sys.stderr)
    print(f"{edits} line(s) changed in {files} file(s)")
    return 1 if unmapped else 0


if __name__ == "__main__":
    sys.exit(main())
