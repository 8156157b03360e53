"""The import arrows of docs/ARCHITECTURE.md hold, and no module imports itself back.

Every `import` statement counts, at module level or inside a function, under
`if TYPE_CHECKING:` or not: a deferred import may save start-up time but never hides a
dependency the architecture forbids, nor a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
# A row of the table "| `part` | owns | `a`, `b` |" in docs/ARCHITECTURE.md.
_ROW = re.compile(r"^\|\s*`((?:harness|suites)[\w.]*)`\s*\|[^|]*\|\s*(.*?)\s*\|\s*$")


def allowed_arrows() -> dict[str, set[str]]:
    """Each part and the parts it may import, as docs/ARCHITECTURE.md's table says."""
    table: dict[str, set[str]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match is not None:
            table[match.group(1)] = set(re.findall(r"`([\w./]+)`", match.group(2)))
    return table


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    """Every module of `harness` and `suites` by dotted name (a C extension by its source)."""
    files = [*ROOT.joinpath("harness").rglob("*.py"), *ROOT.joinpath("suites").rglob("*.py")]
    modules = {module_name(path): path for path in files}
    for source in ROOT.joinpath("harness").rglob("*.c"):
        modules[module_name(source)] = source
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in it (`from a import b` may name a module)."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()
    if path.suffix != ".py":
        return found
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b` imports the module a.b when there is one, else a name of a;
            # either way a's `__init__` runs first, so a is imported too.
            names = [base] + [
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules
            ]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def part_of(module: str, parts: dict[str, set[str]]) -> str | None:
    """The part a module belongs to: the longest part name that is its prefix (the package
    `harness` itself is a part of one module, its `__init__`)."""
    best = None
    for part in parts:
        within = module.startswith(part + ".") and part != "harness"
        if (module == part or within) and (best is None or len(part) > len(best)):
            best = part
    return best


def test_every_module_belongs_to_a_part() -> None:
    """A new module of harness/ lands in a part of the table (or the table grows)."""
    parts = allowed_arrows()
    orphans = [m for m in project_modules() if part_of(m, parts) is None]
    assert orphans == [], orphans


def test_imports_follow_the_arrows() -> None:
    """No module imports a part its own part may not import."""
    parts = allowed_arrows()
    modules = project_modules()
    broken = []
    for module, path in sorted(modules.items()):
        source = part_of(module, parts)
        for imported in sorted(imports_of(path, modules)):
            target = part_of(imported, parts)
            if source is None or target is None or target == source:
                continue
            if target not in parts[source]:
                broken.append(f"{module} imports {imported} ({source} may not import {target})")
    assert broken == [], "\n".join(broken)


def test_no_import_cycles() -> None:
    """No module reaches itself again by following imports (Tarjan's strongly connected
    components; each component of more than one module is a cycle)."""
    modules = project_modules()
    graph = {m: sorted(imports_of(p, modules) - {m}) for m, p in modules.items()}
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == [], cycles


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the import graph is deep enough to matter)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    """The checker itself: a module that imports across an arrow the table forbids, and two
    modules that import each other, are found (a check that cannot fail proves nothing)."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("def f():\n    from pkg import b\n", encoding="utf-8")
    (package / "b.py").write_text("from pkg.a import f\n", encoding="utf-8")
    modules = {"pkg": package / "__init__.py", "pkg.a": package / "a.py", "pkg.b": package / "b.py"}
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        graph = {m: sorted(imports_of(p, modules) - {m}) for m, p in modules.items()}
    finally:
        ROOT = saved
    assert graph == {"pkg": [], "pkg.a": ["pkg", "pkg.b"], "pkg.b": ["pkg.a"]}
    assert sorted(map(sorted, strongly_connected(graph))) == [["pkg"], ["pkg.a", "pkg.b"]]
