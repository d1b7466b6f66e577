#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the C sites that Documentation/ cites against the kernel trees.

Documentation/review-7.2.rst and the table "C sites and the Rust type that
proves them" in Documentation/locking.rst set io_uring's C functions beside
the module's Rust ones, with file:line citations into two kernel trees
(Debian's 6.12.117 and 7.2.13). Line numbers rot silently; this script
reads both pages' list-tables and checks every citation.

Which tables: a ``list-table`` with a header row that has a column whose
header starts with "C " (the C function) and a column headed "Rust". Other
tables are ignored.

C citations, and the rules they must meet:

* Definition cites. In review-7.2.rst, the cells of the columns headed
  "7.2" and "6.12" hold ``file:line`` (or "—" where there is none); in
  locking.rst the C cell holds ``name`` (6.12 file:line; 7.2 file:line)
  for each function. A cell may name the function as that kernel spells it,
  ``other_name`` file:line, where it differs. The cited line must be the
  first line of the function's definition: it starts in column 0 (kernel
  style starts every function declarator at the start of a line), it holds
  the name followed by "(" with no identifier character before the name,
  and after the parameter list the next "{" or ";" outside parentheses is
  a "{" (a body, not a prototype). Comments and string literals are
  ignored.
* Site cites, anywhere in the two pages: "7.2 timeout.c:378-380
  (``io_req_task_link_timeout``)" (or "6.12 ...", one line or a range).
  Every cited line must lie inside the named function, between its
  definition's first line and the brace that closes its body.
* Any other ``file.c:N`` outside a C cell is reported as unchecked.

A file is relative to io_uring/ of the tree, unless it names a directory
(e.g. kernel/exit.c), then it is relative to the tree's root.

Rust citations: every literal with "::" in the "Rust" column is a module
path (a plain identifier there is reported) as locking.rst writes them (lifecycle::link::io_req_find_next,
model::req::ReqView::claim_for_disarm), relative to io_uring_rs/uring/.
The modules name a file (a/b.rs or a/b/mod.rs). A plain function must be
defined at the top level of that file (``fn NAME``), or of a child module
file whose item the module file re-exports with ``use``; a Type::method
must be a ``fn`` directly inside an ``impl`` block for Type (or of trait
Type) or a ``trait Type`` block there.

Evidence: if the "Evidence" (review-7.2.rst) or "Proof" (locking.rst) cell
starts with a literal that is a type (``&mut BothGuard<'_, 'id>``,
``AtomicCtx``), that type, with its generic arguments and lifetimes
dropped, must be the type of a parameter of one of the row's Rust
functions: ``&mut AtomicCtx`` is not ``AtomicCtx`` by value.

Usage: check_c_sites.py [KSRC_6_12 KSRC_7_2] (or the environment variables
KSRC_6_12 and KSRC_7_2). Prints one line per problem and a final count;
exits 1 on any problem, 2 on a usage error.
"""

import argparse
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ("Documentation/review-7.2.rst", "Documentation/locking.rst")
CORE = "io_uring_rs/uring"
VERSIONS = ("6.12", "7.2")
ENV = {"6.12": "KSRC_6_12", "7.2": "KSRC_7_2"}

LITERAL = re.compile(r"``(.+?)``")
IDENT = re.compile(r"^[A-Za-z_]\w*$")
FILE_LINE = r"(?P<file>[\w./-]+\.[ch]):(?P<line>\d+)"
# A cell of a version column: "timeout.c:378" or "``other`` io_uring.c:1827".
VERSION_CELL = re.compile(r"^(?:``(?P<alt>\w+)``\s+)?" + FILE_LINE + r"$")
# One part of a locking.rst C cell: "6.12 io_uring.c:1028".
VERSION_PART = re.compile(
    r"^(?P<ver>6\.12|7\.2):?\s+(?:``(?P<alt>\w+)``\s+)?" + FILE_LINE + r"$")
# A site cite: "7.2 timeout.c:378-380 (``io_req_task_link_timeout``)".
SITE = re.compile(
    r"(?P<ver>6\.12|7\.2)\s+(?P<file>[\w./-]+\.[ch]):(?P<line>\d+)"
    r"(?:-(?P<end>\d+))?\s+\(``(?P<name>\w+)``\)")
ANY_CITE = re.compile(r"[\w./-]+\.[ch]:\d+")
DASHES = ("", "—", "–", "-", "--")


# --------------------------------------------------------------------------
# reStructuredText list-tables


class Row:
    """One row of a list-table: its cells (joined text) and its line."""

    def __init__(self, line, cells):
        self.line = line
        self.cells = cells


class Table:
    """A list-table: header row (if any), body rows, and the document lines
    it spans (``first`` to ``last``, 1-based)."""

    def __init__(self, first, last, header, rows):
        self.first = first
        self.last = last
        self.header = header
        self.rows = rows


def parse_list_tables(text):
    """Returns the list-tables of an RST document, in order.

    A row starts at "* - ", a further cell at "  - " under it; deeper
    indented lines continue the cell. The table ends at the first non-blank
    line indented no deeper than the directive's content.
    """
    lines = text.split("\n")
    tables = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)\.\. list-table::", lines[i])
        if not m:
            i += 1
            continue
        first = i + 1
        last = first
        base = len(m.group(1))
        header_rows = 0
        rows = []
        cell = None
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= base:
                break
            body = line.strip()
            opt = re.match(r"^:header-rows:\s*(\d+)", body)
            if opt and not rows:
                header_rows = int(opt.group(1))
            elif body.startswith("* - ") or body == "* -":
                cell = [body[4:]]
                rows.append(Row(i + 1, [cell]))
            elif (body.startswith("- ") or body == "-") and rows:
                cell = [body[2:]]
                rows[-1].cells.append(cell)
            elif cell is not None:
                cell.append(body)
            last = i + 1
            i += 1
        for row in rows:
            row.cells = [" ".join(c).strip() for c in row.cells]
        header = rows[0].cells if header_rows and rows else None
        tables.append(Table(first, last, header, rows[header_rows:]))
    return tables


def table_columns(header):
    """The roles of a table's columns, or None if it is not a checked table."""
    if not header:
        return None
    cols = {}
    for i, h in enumerate(header):
        if h.startswith("C ") and "c" not in cols:
            cols["c"] = i
        elif h in VERSIONS:
            cols[h] = i
        elif h == "Rust":
            cols["rust"] = i
        elif h in ("Evidence", "Proof"):
            cols["evidence"] = i
    if "c" not in cols or "rust" not in cols:
        return None
    return cols


# --------------------------------------------------------------------------
# Citations


class Cite:
    """A citation of C function ``name`` at ``file:line`` (to ``end``) in
    kernel ``ver``; ``site`` if the lines only have to lie inside it."""

    def __init__(self, where, ver, name, file, line, end=None, site=False):
        self.where = where
        self.ver = ver
        self.name = name
        self.file = file
        self.line = line
        self.end = end if end is not None else line
        self.site = site

    def text(self):
        span = "%d" % self.line
        if self.end != self.line:
            span += "-%d" % self.end
        return "%s %s:%s (%s)" % (self.ver, self.file, span, self.name)


class RustRef:
    """A Rust path cited in a row, with the row's evidence literal."""

    def __init__(self, where, path, evidence=None):
        self.where = where
        self.path = path
        self.evidence = evidence


def c_cell_cites(where, cell, problems):
    """The definition cites of a C cell in locking.rst's form."""
    cites = []
    consumed = []
    for m in re.finditer(r"``(\w+)``\s*\(([^()]*)\)", cell):
        name = m.group(1)
        consumed.append(m.span())
        seen = set()
        for part in m.group(2).split(";"):
            part = part.strip()
            p = VERSION_PART.match(part)
            if not p:
                problems.append("%s: %s: cannot read C cite %r" % (where, name, part))
                continue
            seen.add(p.group("ver"))
            cites.append(Cite(where, p.group("ver"), p.group("alt") or name,
                              p.group("file"), int(p.group("line"))))
        for ver in VERSIONS:
            if ver not in seen:
                problems.append("%s: %s: no %s line" % (where, name, ver))
    rest = cell
    for a, b in reversed(consumed):
        rest = rest[:a] + rest[b:]
    for stray in ANY_CITE.findall(rest):
        problems.append("%s: cite %s is not of the form ``name`` (6.12 file:line; 7.2 file:line)"
                        % (where, stray))
    if not consumed:
        problems.append("%s: C cell names no function with its lines" % where)
    return cites


def collect(doc, text, problems):
    """Every citation of one document: (C cites, Rust refs, table rows)."""
    cites = []
    rusts = []
    nrows = 0
    table_lines = set()
    for table in parse_list_tables(text):
        cols = table_columns(table.header)
        if cols is None:
            continue
        table_lines.update(range(table.first, table.last + 1))
        versions = [v for v in VERSIONS if v in cols]
        for row in table.rows:
            nrows += 1
            where = "%s:%d" % (doc, row.line)
            cells = row.cells + [""] * (len(table.header) - len(row.cells))
            c_cell = cells[cols["c"]]
            names = LITERAL.findall(c_cell)
            if versions:
                if not names or not IDENT.match(names[0]):
                    problems.append("%s: C cell %r names no function" % (where, c_cell))
                    continue
                name = names[0]
                for ver in versions:
                    cell = cells[cols[ver]].strip()
                    if cell in DASHES:
                        if ver == "7.2":
                            problems.append("%s: %s: no 7.2 line" % (where, name))
                        continue
                    m = VERSION_CELL.match(cell)
                    if not m:
                        problems.append("%s: %s: cannot read %s cite %r" % (where, name, ver, cell))
                        continue
                    cites.append(Cite(where, ver, m.group("alt") or name,
                                      m.group("file"), int(m.group("line"))))
            else:
                cites.extend(c_cell_cites(where, c_cell, problems))
            evidence = None
            if "evidence" in cols:
                ev = cells[cols["evidence"]].strip()
                m = re.match(r"^``(.+?)``", ev)
                if m and looks_like_type(m.group(1)):
                    evidence = m.group(1)
            lits = LITERAL.findall(cells[cols["rust"]])
            paths = [p for p in lits if "::" in p]
            for bare in (p for p in lits if IDENT.match(p)):
                problems.append("%s: ``%s`` in the Rust cell is not a module path" % (where, bare))
            if not paths:
                problems.append("%s: Rust cell names no module path" % where)
            for p in paths:
                rusts.append(RustRef(where, p, evidence))
            # Site cites and stray cites in the other cells.
            for i, cell in enumerate(cells):
                if i == cols["c"] or i in [cols[v] for v in versions]:
                    continue
                cites.extend(site_cites(where, cell, problems))
    # Prose: everything outside the checked tables (a cite may wrap).
    prose = "\n".join("" if n in table_lines else line
                       for n, line in enumerate(text.split("\n"), 1))
    cites.extend(site_cites(doc, prose, problems, numbered=True))
    return cites, rusts, nrows


def site_cites(where, text, problems, numbered=False):
    """The site cites in ``text``; any other file:line cite is a problem.
    With ``numbered``, ``where`` is the document and ``text`` all of it,
    and each cite is placed at its own line."""

    def place(pos):
        return "%s:%d" % (where, text.count("\n", 0, pos) + 1) if numbered else where

    cites = []
    rest = list(text)
    for m in SITE.finditer(text):
        end = int(m.group("end")) if m.group("end") else None
        cites.append(Cite(place(m.start()), m.group("ver"), m.group("name"),
                          m.group("file"), int(m.group("line")), end, site=True))
        rest[m.start():m.end()] = " " * (m.end() - m.start())
    for stray in ANY_CITE.finditer("".join(rest)):
        problems.append("%s: cite %s is neither a C cell nor a site cite "
                        "\"7.2 file:line (``function``)\"" % (place(stray.start()), stray.group(0)))
    return cites


# --------------------------------------------------------------------------
# C side


def blank(s):
    """``s`` with every character but newlines replaced by a space."""
    return re.sub(r"[^\n]", " ", s)


def strip_c(text):
    """``text`` with comments, string and character literals blanked out
    (same length, newlines kept), so braces and parentheses can be counted."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if j < n and text[j] == c:
                out.append(c + blank(text[i + 1:j]) + c)
                j += 1
            else:
                out.append(c + blank(text[i + 1:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


class CFile:
    """A C source file, as lines and as comment-free text."""

    def __init__(self, path):
        with open(path, errors="replace") as f:
            self.text = f.read()
        self.lines = self.text.split("\n")
        self.stripped = strip_c(self.text)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line) + 1)

    def line_of(self, pos):
        lo, hi = 0, len(self.offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.offsets[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def definition_at(self, name, line):
        """The body's end line if ``line`` starts the definition of ``name``,
        else None (see the module docstring for the rule)."""
        if not 1 <= line <= len(self.lines):
            return None
        raw = self.lines[line - 1]
        if not raw or raw[0].isspace():
            return None
        start = self.offsets[line - 1]
        seg = self.stripped[start:start + len(raw)]
        m = re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"\s*\(", seg)
        if not m:
            return None
        pos = start + m.end() - 1
        s = self.stripped
        depth = 0
        while pos < len(s):
            ch = s[pos]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch in "{;":
                break
            pos += 1
        if pos >= len(s) or s[pos] != "{":
            return None
        depth = 0
        while pos < len(s):
            if s[pos] == "{":
                depth += 1
            elif s[pos] == "}":
                depth -= 1
                if depth == 0:
                    return self.line_of(pos)
            pos += 1
        return None

    def definitions(self, name):
        """(first line, last line) of every definition of ``name``."""
        pat = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"\s*\(")
        found = []
        for n, line in enumerate(self.lines, 1):
            if line and not line[0].isspace() and pat.search(line):
                end = self.definition_at(name, n)
                if end is not None:
                    found.append((n, end))
        return found


def resolve_c(root, rel):
    """The path of a cited file in the tree at ``root``."""
    if "/" in rel:
        return os.path.join(root, rel)
    return os.path.join(root, "io_uring", rel)


def check_cite(cite, trees, cache):
    """None if the citation holds, else the problem."""
    root = trees.get(cite.ver)
    if root is None:
        return "%s: %s: no %s tree given" % (cite.where, cite.text(), cite.ver)
    path = resolve_c(root, cite.file)
    if path not in cache:
        cache[path] = CFile(path) if os.path.isfile(path) else None
    cfile = cache[path]
    if cfile is None:
        return "%s: %s: no file %s" % (cite.where, cite.text(), path)
    if not cite.site:
        if cfile.definition_at(cite.name, cite.line) is not None:
            return None
        defs = cfile.definitions(cite.name)
        hint = ", defined at line %s" % ", ".join(str(a) for a, _ in defs) if defs else \
            ", no definition in that file"
        return "%s: %s: line %d does not start %s()%s" % (
            cite.where, cite.text(), cite.line, cite.name, hint)
    defs = cfile.definitions(cite.name)
    for a, b in defs:
        if a <= cite.line <= cite.end <= b:
            return None
    if not defs:
        return "%s: %s: no definition of %s() in %s" % (
            cite.where, cite.text(), cite.name, cite.file)
    return "%s: %s: not inside %s() (lines %s)" % (
        cite.where, cite.text(), cite.name, ", ".join("%d-%d" % d for d in defs))


# --------------------------------------------------------------------------
# Rust side


def strip_rust(text):
    """``text`` with comments, string and char literals blanked out (same
    length, newlines kept). Lifetimes ('a, 'id) are left alone."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth += 1
                    j += 2
                elif text.startswith("*/", j):
                    depth -= 1
                    j += 2
                    if depth == 0:
                        break
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append('"' + blank(text[i + 1:j - 1]) + '"')
            i = j
        else:
            m = re.match(r"'(?:\\.|[^\\'\n])'", text[i:i + 4])
            if m:
                out.append("' '".ljust(len(m.group(0))))
                i += len(m.group(0))
            else:
                out.append(text[i])
                i += 1
    return "".join(out)


def depths(s):
    """The brace depth before each character of ``s``."""
    d = 0
    res = []
    for ch in s:
        if ch == "}":
            d -= 1
        res.append(d)
        if ch == "{":
            d += 1
    return res


def split_top(s, sep=","):
    """Splits ``s`` at ``sep`` outside (), [] and <> ('->' is not a '>')."""
    s = s.replace("->", "\x00\x01")
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "([<":
            depth += 1
        elif ch in ")]>":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.replace("\x00\x01", "->").strip() for p in parts if p.strip()]


def drop_generics(t):
    """A type without its generic arguments."""
    out, depth = [], 0
    t = t.replace("->", "\x00\x01")
    for ch in t:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("\x00\x01", "->")


def norm_type(t):
    """A type as the evidence check compares it: no generic arguments, no
    lifetimes, single spaces, '&mut T' spelled so."""
    t = drop_generics(t)
    t = re.sub(r"'\w+\s*", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"&\s*", "&", t)


TYPE_LITERAL = re.compile(
    r"^&?\s*(?:'\w+\s+)?(?:mut\s+)?(?:impl\s+|dyn\s+)?[A-Z]\w*(?:<.*>)?$")


def looks_like_type(lit):
    """Whether an Evidence literal is a type (``&mut BothGuard<'_, 'id>``),
    not a path or a call (``LiveTarget::splice``)."""
    return TYPE_LITERAL.match(lit) is not None


class RustFile:
    """A Rust file: raw text, comment-free text, brace depths."""

    def __init__(self, path):
        with open(path) as f:
            self.text = f.read()
        self.stripped = strip_rust(self.text)
        self.depth = depths(self.stripped)

    def fns(self, name, depth=None, lo=0, hi=None):
        """Positions of ``fn name`` (at brace ``depth``, within [lo, hi))."""
        hi = len(self.stripped) if hi is None else hi
        found = []
        for m in re.finditer(r"\bfn\s+" + re.escape(name) + r"\b", self.stripped[lo:hi]):
            pos = lo + m.start()
            if depth is None or self.depth[pos] == depth:
                found.append(pos)
        return found

    def params(self, pos):
        """The parameter types of the ``fn`` at ``pos``."""
        s = self.stripped
        i = s.index("fn", pos) + 2
        angle = 0
        while i < len(s):
            if s.startswith("->", i):
                i += 2
                continue
            if s[i] == "<":
                angle += 1
            elif s[i] == ">":
                angle -= 1
            elif s[i] == "(" and angle == 0:
                break
            i += 1
        depth, j = 0, i
        while j < len(s):
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        types = []
        for p in split_top(s[i + 1:j]):
            if re.match(r"^&?\s*('\w+\s+)?(mut\s+)?self$", p):
                continue
            m = re.match(r"^(?:mut\s+)?\w+\s*:\s*(.*)$", p, re.S)
            types.append(m.group(1) if m else p)
        return types

    def blocks(self, type_name):
        """(open, close) of ``impl`` blocks for ``type_name`` (as self type or
        trait) and of ``trait type_name`` blocks, at any depth."""
        s = self.stripped
        found = []
        for m in re.finditer(r"\b(impl|trait)\b", s):
            # An item, not `impl Trait` in a type: what precedes it ends an
            # item or an attribute, or is `pub(..)`, `pub` or `unsafe`.
            before = s[:m.start()].rstrip()
            if before and before[-1] not in "};{])" and not re.search(
                    r"\b(pub|unsafe)$", before):
                continue
            brace = s.find("{", m.end())
            semi = s.find(";", m.end())
            if brace < 0 or (0 <= semi < brace):
                continue
            head = drop_generics(s[m.end():brace])
            head = re.sub(r"\bwhere\b.*", "", head, flags=re.S)
            words = re.findall(r"[A-Za-z_]\w*", head)
            if m.group(1) == "trait":
                ok = words[:1] == [type_name]
            else:
                ok = type_name in words
            if not ok:
                continue
            d = self.depth[brace]
            close = brace + 1
            while close < len(s) and not (s[close] == "}" and self.depth[close] == d):
                close += 1
            found.append((brace, close))
        return found


def module_file(core, mods):
    """The file of module path ``mods`` under the core, or None."""
    base = os.path.join(core, *mods)
    for cand in (base + ".rs", os.path.join(base, "mod.rs")):
        if os.path.isfile(cand):
            return cand
    return None


def reexport_children(rfile, path, name):
    """Files of child modules of ``path`` whose ``name`` the module file
    re-exports with a ``use`` item."""
    out = []
    for m in re.finditer(r"\bmod\s+(\w+)\s*;", rfile.stripped):
        child = m.group(1)
        for u in re.finditer(r"\buse\s+([^;]*);", rfile.stripped):
            item = u.group(1)
            if re.search(r"(?<![\w:])" + child + r"::", item) and re.search(
                    r"\b" + re.escape(name) + r"\b", item):
                base = os.path.splitext(path)[0] if not path.endswith("mod.rs") \
                    else os.path.dirname(path)
                for cand in (os.path.join(base, child + ".rs"),
                             os.path.join(base, child, "mod.rs")):
                    if os.path.isfile(cand):
                        out.append(cand)
                break
    return out


def resolve_rust(repo, ref, cache):
    """(problem or None, list of parameter-type lists of what it names)."""
    core = os.path.join(repo, CORE)
    path = re.sub(r"\(.*\)$", "", ref.path.strip())
    path = re.sub(r"^(crate::)?(uring::)?", "", path)
    segs = path.split("::")
    if not all(IDENT.match(s) for s in segs) or len(segs) < 2:
        return "%s: %s is not a module path" % (ref.where, ref.path), []
    name = segs[-1]
    if name[0].isupper():
        return "%s: %s names no function" % (ref.where, ref.path), []
    type_name = segs[-2] if segs[-2][0].isupper() else None
    mods = segs[:-2] if type_name else segs[:-1]
    if not mods or any(m[0].isupper() for m in mods):
        return ("%s: %s is not a module path (write it as in locking.rst, e.g. "
                "lifecycle::link::io_req_find_next)" % (ref.where, ref.path)), []
    mpath = module_file(core, mods)
    if mpath is None:
        return "%s: %s: no module file %s.rs" % (
            ref.where, ref.path, os.path.join(CORE, *mods)), []

    def load(p):
        if p not in cache:
            cache[p] = RustFile(p)
        return cache[p]

    rfile = load(mpath)
    key = type_name or name
    files = [rfile] + [load(p) for p in reexport_children(rfile, mpath, key)]
    sigs = []
    for f in files:
        if type_name:
            for lo, hi in f.blocks(type_name):
                for pos in f.fns(name, f.depth[lo] + 1, lo, hi):
                    sigs.append(f.params(pos))
        else:
            for pos in f.fns(name, 0):
                sigs.append(f.params(pos))
    if sigs:
        return None, sigs
    rel = os.path.relpath(mpath, repo)
    what = "method %s::%s" % (type_name, name) if type_name else "fn %s" % name
    return "%s: %s: no %s in %s" % (ref.where, ref.path, what, rel), []


# --------------------------------------------------------------------------
# Driver


def check(repo, trees, docs=DOCS):
    """All problems of the documents, and (rows, cites, rust refs) counted."""
    problems = []
    all_cites, all_rust, rows = [], [], 0
    for doc in docs:
        path = os.path.join(repo, doc)
        if not os.path.isfile(path):
            problems.append("%s: missing" % doc)
            continue
        with open(path) as f:
            text = f.read()
        cites, rusts, n = collect(doc, text, problems)
        if n == 0:
            problems.append("%s: no table with a C and a Rust column" % doc)
        all_cites += cites
        all_rust += rusts
        rows += n
    ccache = {}
    for cite in all_cites:
        p = check_cite(cite, trees, ccache)
        if p:
            problems.append(p)
    rcache = {}
    by_row = {}
    for ref in all_rust:
        p, sigs = resolve_rust(repo, ref, rcache)
        if p:
            problems.append(p)
        entry = by_row.setdefault(ref.where, [ref.evidence, [], False])
        entry[1] += sigs
        entry[2] |= p is not None
    for where, (evidence, sigs, failed) in by_row.items():
        if evidence is None or failed:
            continue
        want = norm_type(evidence)
        have = {norm_type(t) for sig in sigs for t in sig}
        if want not in have:
            problems.append("%s: evidence ``%s`` is no parameter type of the row's Rust "
                            "functions (%s)" % (where, evidence, ", ".join(sorted(have)) or "none"))
    return problems, (rows, len(all_cites), len(all_rust))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Check the file:line cites of review-7.2.rst and locking.rst "
        "against the 6.12 and 7.2 kernel trees, and the Rust paths against the core.")
    ap.add_argument("ksrc_6_12", nargs="?", default=os.environ.get(ENV["6.12"]),
                    help="Linux 6.12 source tree (default: $KSRC_6_12)")
    ap.add_argument("ksrc_7_2", nargs="?", default=os.environ.get(ENV["7.2"]),
                    help="Linux 7.2 source tree (default: $KSRC_7_2)")
    ap.add_argument("--repo", default=REPO, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    trees = {"6.12": args.ksrc_6_12, "7.2": args.ksrc_7_2}
    for ver, root in trees.items():
        if not root or not os.path.isdir(os.path.join(root, "io_uring")):
            print("check_c_sites: no %s tree (argument or $%s): %r" % (ver, ENV[ver], root),
                  file=sys.stderr)
            return 2
    problems, (rows, ncites, nrust) = check(args.repo, trees)
    for p in problems:
        print(p)
    print("check_c_sites: %d rows, %d C cites, %d Rust paths: %d problems"
          % (rows, ncites, nrust, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
