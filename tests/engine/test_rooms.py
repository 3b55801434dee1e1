"""The engine's rooms keep to their jobs: what a package may import, who opens HTTP sessions."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from haul_engine.torrents.controller import TorrentsController

ENGINE = Path(__file__).resolve().parents[2] / "addon" / "haul_engine"
# capabilities that know no web layer
CONTROLLER_PACKAGES = (
    "arr",
    "connectors",
    "indexers",
    "library",
    "mediaservers",
    "releases",
    "requests",
    "torrents",
)
QBITTORRENT_ADAPTER = ENGINE / "api" / "qbittorrent"
CONNECTOR_KINDS = (
    "haul_engine.arr.kinds", "haul_engine.indexers.kinds", "haul_engine.mediaservers.kinds",
    "haul_engine.requests.overseerr",
)  # fmt: skip


def _imports(path: Path, *, typing: bool = True) -> set[str]:
    """Every module a file imports at run time, and for typing unless typing is False."""
    tree = ast.parse(path.read_text())
    if not typing:
        tree.body = [node for node in tree.body if not _typing_only(node)]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _typing_only(node: ast.stmt) -> bool:
    """Whether a statement is an `if TYPE_CHECKING:` block."""
    return isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"


def _loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing module."""
    probe = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    found = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    return set(json.loads(found.stdout))


@pytest.mark.parametrize("package", CONTROLLER_PACKAGES)
def test_controllers_know_no_web_layer(package: str) -> None:
    """Webhooks and the API are adapters in api/ that call the controllers, not the reverse."""
    for path in sorted((ENGINE / package).rglob("*.py")):
        web = {
            name for name in _imports(path) if name.startswith(("haul_engine.api", "aiohttp.web"))
        }
        assert not web, f"{path.relative_to(ENGINE)} imports {sorted(web)}"


@pytest.mark.parametrize("module", ["haul_engine.releases.parser", "haul_engine.releases.ranking"])
def test_the_release_parser_and_ranker_are_pure(module: str) -> None:
    loaded = _loaded_by(module)
    impure = {
        name for name in loaded
        if name.startswith(("sqlalchemy", "aiohttp", "libtorrent", "haul_engine.db",
                            "haul_engine.torrents", "haul_engine.indexers"))
    }  # fmt: skip
    assert not impure, sorted(impure)


@pytest.mark.parametrize("module", CONNECTOR_KINDS)
def test_connector_kinds_do_not_import_the_library(module: str) -> None:
    assert not {name for name in _loaded_by(module) if name.startswith("haul_engine.library")}


def test_only_the_engine_opens_http_sessions() -> None:
    """Every outbound client uses the Engine's session (haul_engine/http.py makes it)."""
    makers = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "http.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            called = node.func if isinstance(node, ast.Call) else None
            name = getattr(called, "attr", getattr(called, "id", None))
            if name in {"ClientSession", "TCPConnector"}:
                makers.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert makers == []


def test_the_qbittorrent_adapter_reaches_torrents_through_methods() -> None:
    """api/qbittorrent calls the controller's methods and properties: no state, no libtorrent."""
    public = {
        name
        for name, member in inspect.getmembers(TorrentsController)
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }
    reached = set()
    for path in sorted(QBITTORRENT_ADAPTER.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            owner = node.value if isinstance(node, ast.Attribute) else None
            if getattr(owner, "id", getattr(owner, "attr", None)) == "torrents":
                reached.add(node.attr)  # type: ignore[union-attr]
        session = {
            name
            for name in _imports(path, typing=False)
            if name.startswith("haul_engine.torrents.session")
        }
        assert not session, f"{path.relative_to(ENGINE)} imports {sorted(session)}"
    assert reached, "no call of the controller found"
    assert reached <= public, sorted(reached - public)
