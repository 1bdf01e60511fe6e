#!/usr/bin/env python3
"""Generates lang/schemas/*.gorch (every kind but the prelude core.gorch) from the
Kubernetes 1.22 API models that Debian's python3-kubernetes ships, merged with the
hand-written overlay in tools/schema_overlay.py.

The generated files are source: they are committed, reviewed and embedded in the
binary. Re-run this after changing the overlay (or core.gorch, whose names it does
not redefine):

    python3 tools/gen_schemas.py             # rewrite lang/schemas/*.gorch
    python3 tools/gen_schemas.py --check     # exit 1 if a file is stale or a field
                                             # of python3-kubernetes is missing

Where the facts come from:
  - fields and their JSON types: `openapi_types` / `attribute_map` of each model in
    kubernetes/client/models/*.py, read with `ast` (the package is never imported,
    so any python3 works and nothing else needs installing);
  - required fields: the models' setters that refuse None ("must not be `None`");
  - everything else (enums, refinements, defaults, keyed lists, references,
    constraints, which kinds exist and which are passive): the overlay.

--check parses the .gorch files back (at the level of declarations and field
names, not the full grammar) and holds them against the models: for every kind,
every attribute of its model must be a field of the Gorch record, recursively
through nested models, and metadata against core.gorch's ObjectMeta.

Options: --models DIR (default: the installed kubernetes package, else
/usr/lib/python3/dist-packages/kubernetes/client/models), --out DIR (default:
lang/schemas next to this script's repository).
"""

import argparse
import ast
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in tools/
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import schema_overlay as ov  # noqa: E402

DEFAULT_MODELS = "/usr/lib/python3/dist-packages/kubernetes/client/models"
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IMPLICIT = ("apiVersion", "kind", "metadata")  # a kind's implicit top-level fields


# ------------------------------------------------------------------ python models

class Model:
    """One python model: its JSON fields in declaration order (name, pytype, required)."""

    def __init__(self, name, fields):
        self.name = name
        self.fields = fields


def find_models_dir(explicit):
    if explicit:
        return explicit
    for base in sys.path + ["/usr/lib/python3/dist-packages"]:
        cand = os.path.join(base or ".", "kubernetes", "client", "models")
        if os.path.isfile(os.path.join(cand, "v1_pod.py")):
            return cand
    return DEFAULT_MODELS


def load_models(models_dir):
    models = {}
    for fname in sorted(os.listdir(models_dir)):
        if not fname.endswith(".py") or fname.startswith("__"):
            continue
        with open(os.path.join(models_dir, fname), encoding="utf-8") as f:
            src = f.read()
        required = set(re.findall(r"Invalid value for `(\w+)`, must not be `None`", src))
        for node in ast.parse(src).body:
            if not isinstance(node, ast.ClassDef):
                continue
            types = attrs = None
            for st in node.body:
                if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
                    if st.targets[0].id == "openapi_types":
                        types = ast.literal_eval(st.value)
                    elif st.targets[0].id == "attribute_map":
                        attrs = ast.literal_eval(st.value)
            if types is None or attrs is None:
                continue
            fields = [(attrs[k], t, k in required) for k, t in types.items()]
            models[node.name] = Model(node.name, fields)
    return models


def gorch_name(cls):
    if cls in ov.RENAME:
        return ov.RENAME[cls]
    m = re.match(r"^V(\d+)((?:alpha|beta)\d+)?([A-Z]\w*)$", cls)
    if not m:
        raise SystemExit(f"gen_schemas: no Gorch name for model {cls}; add it to RENAME")
    major, pre, rest = m.groups()
    if major == "1" and not pre:
        return rest
    if major == "2" and pre == "beta2":  # autoscaling/v2's shape
        return rest + "V2"
    return rest + "V" + major + (pre or "").capitalize()


def model_classes(pytype):
    return re.findall(r"\b[A-Z][A-Za-z0-9]*V\d\w*|\bV\d\w*", pytype)


# ------------------------------------------------------------------ core.gorch

def core_names(schemas_dir):
    path = os.path.join(schemas_dir, "core.gorch")
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return set(re.findall(r"^\s*type\s+([A-Za-z_]\w*)", f.read(), re.M))


# ------------------------------------------------------------------ generation

class Generator:
    def __init__(self, models, core):
        self.models = models
        self.core = core | {"ObjectMeta"}  # metadata is always the prelude's
        self.file_of = {}      # gorch type name -> file
        self.order = {}        # file -> [gorch type names], discovery order
        self.model_of = {}     # gorch type name -> python model
        self.records = {}      # gorch type name -> field declarations
        self.kind_file = {}    # kind -> file
        self.pending = []      # reached, not yet declared

    def type_expr(self, pytype):
        if pytype.startswith("list["):
            return "list<%s>" % self.type_expr(pytype[5:-1])
        m = re.match(r"^dict\(str, (.*)\)$", pytype)
        if m:
            return "map<string, %s>" % self.type_expr(m.group(1))
        time = "Time" if "Time" in self.core else "string"  # core.gorch's RFC 3339
        scalar = {"str": "string", "int": "int", "bool": "bool", "float": "float",
                  "datetime": time, "date": "string", "object": "any"}
        if pytype in scalar:
            return scalar[pytype]
        if pytype not in self.models:
            raise SystemExit(f"gen_schemas: unknown python type {pytype}")
        return gorch_name(pytype)

    def field_decl(self, owner, name, pytype, required):
        """Returns (name, optional, type_text, default, when) for one field."""
        spec = ov.FIELDS.get(owner, {}).get(name, {})
        elem_py = None
        container = None
        if pytype.startswith("list["):
            container, elem_py = "list", pytype[5:-1]
        else:
            m = re.match(r"^dict\(str, (.*)\)$", pytype)
            if m:
                container, elem_py = "map", m.group(1)
        if "type" in spec:
            text = spec["type"]
        elif "ref" in spec:
            text = "ref<%s>" % spec["ref"]
            if "optional_if" in spec:
                text += "(optionalIf: %s)" % spec["optional_if"]
        elif container == "list":
            text = "list<%s>" % spec.get("elem", self.type_expr(elem_py))
            if "min_items" in spec:
                text += "(minItems: %d)" % spec["min_items"]
            if "keyed" in spec:
                text += " keyed " + spec["keyed"]
        elif container == "map":
            text = "map<%s, %s>" % (spec.get("key", "string"),
                                    spec.get("elem", self.type_expr(elem_py)))
        else:
            text = self.type_expr(pytype)
        for cls in model_classes(pytype):
            if re.search(r"\b%s\b" % re.escape(gorch_name(cls)), text):
                self.reach(cls, owner)
        required = spec.get("required", required)
        return (name, not required, text, spec.get("default"), spec.get("when"))

    def reach(self, cls, from_type):
        name = gorch_name(cls)
        if name in self.core or name in self.file_of:
            return
        target = self.file_of.get(from_type) or self.kind_file.get(from_type)
        self.file_of[name] = target
        self.model_of[name] = cls
        self.order.setdefault(target, []).append(name)
        self.pending.append(name)

    def record_fields(self, owner, model, skip=()):
        decls = [self.field_decl(owner, n, t, r) for n, t, r in model.fields if n not in skip]
        decls = order_by_dependencies(decls)
        extras = [(n, not r, t, None, None) for n, t, r in ov.EXTRA_FIELDS.get(owner, [])]
        if extras:
            decls.append(None)  # "added after 1.22" marker
            decls.extend(extras)
        return decls

    def generate(self):
        """Returns {file: text}."""
        kind_bodies = []  # (file, kind, version, mods, fields)
        for kind, version, cls, fname, mods in ov.KINDS:
            self.kind_file[kind] = fname
            fields = self.record_fields(kind, self.models[cls], skip=IMPLICIT)
            kind_bodies.append((fname, kind, version, mods, fields))
            self.drain()
        out = {}
        for fname, headline in ov.FILES:
            out[fname] = self.render_file(fname, headline, kind_bodies)
        return out

    def drain(self):
        while self.pending:
            name = self.pending.pop(0)
            model = self.models[self.model_of[name]]
            self.records[name] = self.record_fields(name, model)

    def render_file(self, fname, headline, kind_bodies):
        lines = [
            "// " + headline + ".",
            "//",
            "// Generated by tools/gen_schemas.py from python3-kubernetes 22.6 (the",
            "// Kubernetes 1.22 API) and tools/schema_overlay.py. Do not edit: change the",
            "// overlay and re-run `python3 tools/gen_schemas.py`.",
            "",
        ]
        if fname == "deprecated":
            for kind, old, new in ov.DEPRECATED:
                lines.append('deprecated %s "%s" -> "%s"' % (kind, old, new))
            return "\n".join(lines) + "\n"
        for f, kind, version, mods, fields in kind_bodies:
            if f != fname:
                continue
            head = 'kind %s "%s"%s' % (kind, version, "".join(" " + m for m in mods))
            lines.extend(render_record(head, fields, ov.WHERE.get(kind, [])))
            lines.append("")
        for name, decl in ov.HAND_TYPES.get(fname, []):
            if name not in self.core:
                lines.append(decl)
        if ov.HAND_TYPES.get(fname):
            lines.append("")
        for name in self.order.get(fname, []):
            lines.extend(render_record("type %s =" % name, self.records[name],
                                       ov.WHERE.get(name, [])))
            lines.append("")
        while lines and lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n"


def field_name_text(name):
    return name if IDENT_RE.match(name) else '"%s"' % name


def render_record(head, fields, wheres):
    lines = [head + " {"]
    for decl in fields:
        if decl is None:
            lines.append("  // added after Kubernetes 1.22:")
            continue
        name, optional, text, default, when = decl
        line = "  %s%s: %s" % (field_name_text(name), "?" if optional else "", text)
        if default is not None:
            line += " = " + default
            if when:
                line += " when " + when
        lines.append(line)
    lines.append("}")
    for expr, msg in wheres:
        lines.append('  where %s : "%s"' % (expr, msg.replace('"', '\\"')))
    return lines


def value_reads(expr):
    """Identifiers an expression reads by value (not inside has(...))."""
    stripped = re.sub(r"has\([^()]*\)", "", expr)
    stripped = re.sub(r'"(\\.|[^"\\])*"', "", stripped)
    return set(re.findall(r"(?<![.\w])([A-Za-z_]\w*)", stripped))


def order_by_dependencies(decls):
    """Stable order in which a field comes after the siblings its default reads."""
    names = [d[0] for d in decls]
    by_name = {d[0]: d for d in decls}
    deps = {}
    for d in decls:
        reads = set()
        for e in (d[3], d[4]):
            if e:
                reads |= value_reads(e)
        deps[d[0]] = [n for n in names if n in reads and n != d[0]]
    out, done, visiting = [], set(), set()

    def visit(n):
        if n in done:
            return
        if n in visiting:
            raise SystemExit(f"gen_schemas: defaults of {n} form a cycle")
        visiting.add(n)
        for dep in deps[n]:
            visit(dep)
        visiting.discard(n)
        done.add(n)
        out.append(by_name[n])

    for n in names:
        visit(n)
    return out


def generate_all(models, core):
    return Generator(models, core).generate()


# ------------------------------------------------------------------ --check

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_gorch(text):
    """Yields (head, body) for each `type NAME = {...}` and `kind NAME "v" ... {...}`,
    where body is the record's text between its braces; and (alias, name, text) for
    `type NAME = <not a record>`."""
    text = strip_comments(text)
    pos = 0
    decl = re.compile(r'^\s*(type\s+(\w+)\s*=|kind\s+(\w+)\s+"([^"]*)"[^{\n]*)', re.M)
    while True:
        m = decl.search(text, pos)
        if not m:
            return
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            depth, j = 0, i
            while j < len(text):
                if text[j] == '"':
                    j += 1
                    while j < len(text) and text[j] != '"':
                        j += 2 if text[j] == "\\" else 1
                elif text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if m.group(2):
                yield ("type", m.group(2), text[i + 1:j])
            else:
                yield ("kind", (m.group(3), m.group(4)), text[i + 1:j])
            pos = j
        else:
            end = text.find("\n", i)
            yield ("alias", m.group(2), text[i:end if end >= 0 else len(text)])
            pos = i


def record_members(body):
    """{field name: type text} of a record body (one nesting level)."""
    members, depth, start, i = {}, 0, 0, 0
    parts = []
    while i < len(body):
        c = body[i]
        if c == '"':
            i += 1
            while i < len(body) and body[i] != '"':
                i += 2 if body[i] == "\\" else 1
        elif c in "{([<":
            depth += 1
        elif c in "})]>":
            depth -= 1
        elif depth == 0 and c in ",\n":
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    for p in parts:
        m = re.match(r'^\s*("(?:[^"\\]|\\.)*"|[A-Za-z_]\w*)\s*\??\s*:(.*)$', p, re.S)
        if m:
            name = m.group(1).strip('"')
            members[name] = m.group(2).split("=")[0]
    return members


def check(models, schemas_dir, fresh):
    problems = []
    core = core_names(schemas_dir)
    for fname, text in generate_all(models, core).items():
        path = os.path.join(schemas_dir, fname + ".gorch")
        on_disk = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if fresh and on_disk != text:
            problems.append(f"{path}: stale; re-run python3 tools/gen_schemas.py")
    records, aliases, kinds = {}, {}, {}
    for fname in sorted(os.listdir(schemas_dir)):
        if not fname.endswith(".gorch"):
            continue
        with open(os.path.join(schemas_dir, fname), encoding="utf-8") as f:
            for what, name, body in parse_gorch(f.read()):
                if what == "type":
                    records[name] = record_members(body)
                elif what == "kind":
                    kinds[name] = record_members(body)
                else:
                    aliases[name] = body

    def record_in(type_text, seen=()):
        for ident in re.findall(r"[A-Za-z_]\w*", type_text):
            if ident in records:
                return ident
            if ident in aliases and ident not in seen:
                r = record_in(aliases[ident], seen + (ident,))
                if r:
                    return r
        return None

    visited = set()

    def compare(cls, members, where, skip=()):
        for name, pytype, _ in models[cls].fields:
            if name in skip:
                continue
            if name not in members:
                problems.append(f"{where}: missing field {name} (python {cls})")
                continue
            for sub in model_classes(pytype):
                rec = record_in(members[name])
                if rec and (sub, rec) not in visited:
                    visited.add((sub, rec))
                    compare(sub, records[rec], f"type {rec}")

    for kind, version, cls, _, _ in ov.KINDS:
        if (kind, version) not in kinds:
            problems.append(f'kind {kind} "{version}" is not declared')
            continue
        compare(cls, kinds[(kind, version)], f'kind {kind} "{version}"', skip=IMPLICIT)
    if "ObjectMeta" not in records:
        problems.append("type ObjectMeta (core.gorch) is not declared")
    else:
        compare("V1ObjectMeta", records["ObjectMeta"], "type ObjectMeta")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", help="python3-kubernetes models directory")
    ap.add_argument("--out", default=os.path.join(ROOT, "lang", "schemas"))
    ap.add_argument("--check", action="store_true",
                    help="compare instead of writing; exit 1 on any problem")
    ap.add_argument("--no-fresh", action="store_true",
                    help="with --check: skip the comparison with regenerated text")
    args = ap.parse_args()
    models_dir = find_models_dir(args.models)
    if not os.path.isfile(os.path.join(models_dir, "v1_pod.py")):
        print(f"gen_schemas: python3-kubernetes models not found in {models_dir}", file=sys.stderr)
        return 2
    models = load_models(models_dir)
    if args.check:
        problems = check(models, args.out, not args.no_fresh)
        for p in problems:
            print("gen_schemas --check: " + p, file=sys.stderr)
        print(f"gen_schemas --check: {len(problems)} problem(s)")
        return 1 if problems else 0
    os.makedirs(args.out, exist_ok=True)
    for fname, text in generate_all(models, core_names(args.out)).items():
        path = os.path.join(args.out, fname + ".gorch")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {path} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
