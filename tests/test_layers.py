"""The layers hold by construction, not by habit: each imports only what lies below it.

process  (bot/process)  the composition root, the CLI, the health endpoint; knows the cogs
cogs     (cogs/)        the features, each a package; another cog only through its public face
runtime  (bot/runtime)  Tend on Discord; never a cog
domain   (bot/domain)   what Tend knows and decides; no Discord
infra    (bot/infra)    database, jobs, keys, logs; no Discord, none of the domain
models   (models/)      the tables
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "bot" and len(parts) > 1 and parts[1] in ("domain", "infra", "runtime", "process"):
        return parts[1]
    if parts[0] in ("cogs", "models", "discord"):
        return parts[0]
    return None


# What each layer may import (besides the standard library and third-party packages other than discord).
MAY_IMPORT = {
    "models": {"models"},
    "infra": {"infra", "models"},
    "domain": {"domain", "infra", "models"},
    "runtime": {"runtime", "domain", "infra", "models", "discord"},
    "cogs": {"cogs", "runtime", "domain", "infra", "models", "discord"},
    "process": {"process", "cogs", "runtime", "domain", "infra", "models", "discord"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports (relative imports resolved), with its line."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:  # `from cogs.support import _views` names a module too
                yield node.lineno, f"{base}.{alias.name}"


def sources() -> Iterator[Path]:
    for folder in ("bot", "cogs", "models"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def arrows_the_wrong_way(*, cogs_private: bool = True) -> list[str]:
    wrong: list[str] = []
    for path in sources():
        here = module_name(path)
        mine = layer_of(here)
        if mine is None:
            continue  # bot/__init__.py, bot/__main__.py: the package's face
        for line, target in imports_of(path):
            theirs = layer_of(target)
            if theirs is not None and theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {mine} imports {target} ({theirs})")
            if cogs_private and mine == "cogs" and theirs == "cogs":
                # Another feature only through its public face: never its private (_) modules.
                feature, other = here.split(".")[:2], target.split(".")
                private = any(part.startswith("_") for part in other[2:])
                if len(other) > 2 and other[1] != feature[1] and private:
                    wrong.append(
                        f"{path.relative_to(ROOT)}:{line}: {here} uses {target}, private to {other[1]}"
                    )
    return wrong


def test_every_import_points_down_and_no_cog_reaches_into_another() -> None:
    assert arrows_the_wrong_way() == []


@pytest.mark.parametrize("layer", ["models", "bot.infra", "bot.domain"])
def test_the_domain_and_what_it_stands_on_never_load_discord(layer: str) -> None:
    """Import every module of the layer in a fresh interpreter: discord never gets loaded."""
    folder = ROOT / layer.replace(".", "/")
    modules = [module_name(p) for p in sorted(folder.rglob("*.py"))]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
