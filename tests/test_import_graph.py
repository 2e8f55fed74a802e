"""`bot/` imports form no circle, counting imports under TYPE_CHECKING and inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in BOT.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from bot.x import y` imports the module bot.x.y when there is one.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_bot_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "bot.runtime" in graph and "bot.handlers.actions" in graph["bot.handlers"]
    assert cycles(graph) == []


def test_the_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_only_the_composition_root_builds_the_app_and_handlers_never_touch_the_database() -> None:
    graph = import_graph()
    builders = sorted(name for name, path in _sources() if "App(" in path.read_text())
    assert builders == ["bot.runtime"]
    for name in graph:
        if name.startswith("bot.handlers"):
            assert "bot.storage.db" not in graph[name], name
            assert "bot.runtime" not in graph[name], name
            assert "bot.relay.queue" not in graph[name], name


def _sources() -> list[tuple[str, Path]]:
    return [(_module_name(p), p) for p in BOT.rglob("*.py")]
