"""The package graph of docs/architecture.md holds: every import of a dsmrhub module points down.

The layers are read from the graph block in the docs (one rule, one place). Every import statement counts:
at module level, inside a function, under TYPE_CHECKING and in migrations.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "architecture.md"
PACKAGE = "dsmrhub"
ENTRY_POINTS = ("admin", "management")  # written *.admin, *.management in the graph


@dataclass(frozen=True)
class Graph:
    layers: dict[str, int]  # node → line of the graph, 0 at the top
    exceptions: frozenset[tuple[str, str]]  # (importing module, imported module), without "dsmrhub."


def graph_parse(text: str) -> Graph:
    """The layers and exceptions of the fenced block after the marker comment naming this test."""
    block = text.split("tests/test_architecture.py reads the block below", 1)[1].split("```")[1]
    layers: dict[str, int] = {}
    exceptions = set()
    for line in block.splitlines()[1:]:
        line = line.strip()
        if not line or line == "↓":
            continue
        names = re.split(r"\s{2,}", line)[0]
        if names.startswith("exception:"):
            importer, imported = (part.strip() for part in names.removeprefix("exception:").split("→"))
            exceptions.add((importer, imported))
            continue
        level = len({*layers.values()})
        layers.update((name.strip(), level) for name in names.split("·"))
    return Graph(layers, frozenset(exceptions))


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def node_of(module: str) -> str:
    """A module's place in the graph: ``*.admin``/``*.management`` for an app's entry points, else its
    package (or top-level module) under dsmrhub, or ``dsmrhub`` for the package itself."""
    parts = module.split(".")
    if len(parts) > 2 and parts[2] in ENTRY_POINTS:
        return f"*.{parts[2]}"
    return parts[1] if len(parts) > 1 else PACKAGE


def imports_of(
    tree: ast.Module, module: str, modules: set[str], is_package: bool
) -> list[tuple[ast.stmt, str]]:
    """Every (statement, imported dsmrhub module) in ``tree``, relative imports resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join([*here[: len(here) - node.level + 1], *([base] if base else [])])
            found += [
                (node, f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base) for a in node.names
            ]
    ours = {(node, name) for node, name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}
    return sorted(ours, key=lambda pair: (pair[0].lineno, pair[1]))


def graph_violations(src: Path, graph: Graph) -> list[str]:
    """One line per import that points up or sideways, or per module the graph does not place."""
    files = sorted((src / PACKAGE).rglob("*.py"))
    modules = {module_name(path, src) for path in files}
    problems = []
    for path in files:
        module = module_name(path, src)
        node = node_of(module)
        where = path.relative_to(src)
        if node not in graph.layers:
            problems.append(f"{where}: {node} has no line in the graph of docs/architecture.md")
            continue
        text = path.read_text()
        tree = ast.parse(text)
        for statement, imported in imports_of(tree, module, modules, path.name == "__init__.py"):
            target = node_of(imported)
            short = (module.removeprefix(PACKAGE + "."), imported.removeprefix(PACKAGE + "."))
            same_package = module.split(".")[:2] == imported.split(".")[:2]
            if same_package or short in graph.exceptions:
                continue
            if graph.layers.get(target, -1) > graph.layers[node]:
                continue
            line = ast.get_source_segment(text, statement) or ""
            problems.append(
                f"{where}:{statement.lineno}: {' '.join(line.split())} — {node} may not import {target} "
                f"({'above it' if graph.layers.get(target, -1) < graph.layers[node] else 'its own line'})"
            )
    return problems


def test_every_import_points_down_the_documented_graph():
    graph = graph_parse(DOCS.read_text())
    assert graph_violations(ROOT / "src", graph) == []


def test_the_graph_has_the_documented_shape():
    graph = graph_parse(DOCS.read_text())
    below = [
        ("readings", "telegram"),
        ("processing", "readings"),
        ("prices", "readings"),
        ("processing", "prices"),
    ]
    for upper, lower in [*below, *((top, "processing") for top in ("api", "web", "mqtt"))]:
        assert graph.layers[upper] < graph.layers[lower], (upper, lower)
    assert graph.layers["api"] == graph.layers["web"] == graph.layers["*.admin"] == 1
    assert graph.layers["telegram"] == max(graph.layers.values())
    assert graph.exceptions == {("web.views.settings", "api.services")}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


GRAPH = Graph(
    {"web": 0, "api": 0, "*.admin": 0, "processing": 1, "readings": 2, "telegram": 3, "dsmrhub": 3},
    frozenset(),
)


def test_an_import_pointing_up_is_named_with_its_module_and_line_even_inside_a_function(tmp_path):
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "telegram/__init__.py": "",
            "telegram/parser.py": "import re\n\n\ndef parse():\n    from dsmrhub.readings.models import R\n",
            "readings/__init__.py": "",
            "readings/models.py": "from ..telegram import parser\nfrom . import services\n",
            "readings/services.py": "",
            "processing/__init__.py": "",
            "processing/admin.py": "from dsmrhub.web import views\n",
            "processing/stats.py": "import dsmrhub.readings.models\n",
            "web/__init__.py": "",
            "web/views.py": "from dsmrhub.processing import stats\nfrom dsmrhub.api import services\n",
            "api/__init__.py": "",
            "api/services.py": "",
        },
    )
    assert graph_violations(src, GRAPH) == [
        "dsmrhub/processing/admin.py:1: from dsmrhub.web import views — *.admin may not import web "
        "(its own line)",
        "dsmrhub/telegram/parser.py:5: from dsmrhub.readings.models import R — telegram may not import "
        "readings (above it)",
        "dsmrhub/web/views.py:2: from dsmrhub.api import services — web may not import api (its own line)",
    ]
    allowed = Graph(GRAPH.layers, frozenset({("web.views", "api.services")}))
    assert len(graph_violations(src, allowed)) == 2


def test_a_package_without_a_line_in_the_graph_fails(tmp_path):
    src = _tree(tmp_path, {"__init__.py": "", "tariffs/__init__.py": "", "tariffs/rules.py": ""})
    assert graph_violations(src, Graph({"dsmrhub": 0}, frozenset())) == [
        "dsmrhub/tariffs/__init__.py: tariffs has no line in the graph of docs/architecture.md",
        "dsmrhub/tariffs/rules.py: tariffs has no line in the graph of docs/architecture.md",
    ]
