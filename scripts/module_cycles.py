#!/usr/bin/env python3
"""Import cycles between the modules of one folder of src/.

    scripts/module_cycles.py [--root] [FOLDER...]     (e.g. src/analyze src/redact)

Every module's paths to other modules (`use crate::a::b`, `use super::x`, a child module's
`use x::…`, and `crate::`/`super::` paths written inline) are lifted to the folder where the two
modules part: a path from `analyze::flows` to `analyze::stream::Sink` is an edge
`flows -> stream` inside `analyze/`. Two modules of one folder that each use the other are a
cycle (docs/architecture.md: data flows one way, and so do the modules of a stage); a folder's
`mod.rs` counts as one of its modules, so `mod.rs` using a child that uses `super::X` back is a
cycle too (declaring `mod x;` is not a use). Test-only
code is left out: the files of `#[cfg(test)] mod x;` and everything from a
`#[cfg(test)] mod x {` to the end of its file.

The top-level stages (the folders directly under src/) are checked only with --root: a
stage uses another's types both ways in a few places that are not a folder's business. Exits 1
when a cycle is found, printing each one with the lines that make it.
"""

import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def module_files():
    """(module path as a tuple, file) for every module the crate declares, tests left out."""
    out = {}

    def walk(path, file):
        out[path] = file
        lines = strip_tests(read(file))
        prev = ""
        for line in lines:
            m = re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", line)
            if m and "#[cfg(test)]" not in prev:
                name = m.group(1)
                base = os.path.dirname(file)
                if not file.endswith(("mod.rs", "lib.rs")):
                    base = os.path.join(base, os.path.basename(file)[:-3])
                for cand in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
                    if os.path.exists(cand):
                        walk(path + (name,), cand)
                        break
            if line.strip():
                prev = line

    walk((), os.path.join(SRC, "lib.rs"))
    return out


def read(file):
    with open(file, encoding="utf-8") as f:
        return f.read().split("\n")


def strip_tests(lines):
    """The lines before a `#[cfg(test)] mod x {` block, comments removed."""
    out = []
    for i, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]" and i + 1 < len(lines):
            if re.match(r"\s*(pub\s+)?mod\s+\w+\s*\{", lines[i + 1]):
                break
        out.append(re.sub(r"//.*", "", line))
    return out


def expand(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = tree.replace(" ", "").replace("\n", "")
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner, rest = tree[:start], tree[start + 1 : i], tree[i + 1 :]
                parts, d, cur = [], 0, ""
                for c in inner:
                    if c == "," and d == 0:
                        parts.append(cur)
                        cur = ""
                        continue
                    d += c == "{"
                    d -= c == "}"
                    cur += c
                parts.append(cur)
                return [x for p in parts if p for x in expand(prefix + p + rest)]
    return [tree]


def references(path, lines, modules):
    """(target module, line number) for every path from module `path` to another module."""
    text = "\n".join(lines)
    children = {m[-1] for m in modules if len(m) == len(path) + 1 and m[:-1] == path}
    found = []
    uses = [(m.start(), m.group(1)) for m in re.finditer(r"\buse\s+([^;]+);", text)]
    inline = [(m.start(), m.group(0)) for m in re.finditer(r"\b(?:crate|super)(?:::\w+)+", text)]
    for at, tree in uses + inline:
        line = text.count("\n", 0, at) + 1
        for p in expand(tree):
            parts = [x for x in re.split(r"::", p.split(" as ")[0]) if x]
            target = resolve(path, parts, children)
            if target is None:
                continue
            # The longest prefix that is a module.
            while target and target not in modules:
                target = target[:-1]
            found.append((target, line))
    return found


def resolve(path, parts, children):
    if not parts:
        return None
    head = parts[0]
    if head == "crate":
        return tuple(parts[1:])
    if head == "super" or head == "self":
        base = path
        while parts and parts[0] in ("super", "self"):
            base = base[:-1] if parts[0] == "super" else base
            parts = parts[1:]
        return base + tuple(parts)
    if head in children:
        return path + tuple(parts)
    return None


def main():
    check_root = "--root" in sys.argv[1:]
    only = [
        tuple(p for p in os.path.normpath(a).split(os.sep) if p)[1:]
        for a in sys.argv[1:]
        if a != "--root"
    ]
    modules = module_files()
    edges = {}
    for path, file in modules.items():
        lines = strip_tests(read(file))
        for target, line in references(path, lines, modules):
            n = 0
            while n < min(len(path), len(target)) and path[n] == target[n]:
                n += 1
            if path == target:
                continue
            # A folder's mod.rs is one of its modules ("mod"): it and a child that use each
            # other are a cycle too.
            if n == len(target):
                key = (target, path[n], "mod")
            elif n == len(path):
                key = (path, "mod", target[n])
            else:
                key = (path[:n], path[n], target[n])
            if not key[0] and not check_root:
                continue
            where = f"{os.path.relpath(file, os.path.join(SRC, '..'))}:{line}"
            edges.setdefault(key, []).append(where)
    cycles = 0
    for (folder, a, b), where in sorted(edges.items()):
        if only and folder not in only:
            continue
        if a < b and (folder, b, a) in edges:
            cycles += 1
            name = "src/" + "/".join(folder) + ("/" if folder else "")
            print(f"cycle in {name}: {a} <-> {b}")
            print(f"  {a} -> {b}: {', '.join(where[:3])}")
            print(f"  {b} -> {a}: {', '.join(edges[(folder, b, a)][:3])}")
    folders = {f for (f, _, _) in edges}
    print(f"{len(modules)} modules, {len(folders)} folders with sibling imports, {cycles} cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
