"""Lint: no module reads another object's or another package's private names.

Two rules over ``mmwidgets/`` (tests may poke at internals; the library may not):

1. ``x._name`` is allowed only on ``self``, ``cls`` or ``super()`` — an object's private state
   is its own. (Dunder names, and a short list of documented library APIs that happen to start
   with an underscore, are fine.)
2. ``from mmwidgets.<pkg>._module import ...`` (or ``import``) is allowed only inside
   ``mmwidgets/<pkg>/`` itself: other layers go through ``mmwidgets.<pkg>``'s public names.

Usage: ``python scripts/check_private.py [paths...]`` (default: ``mmwidgets``); prints one
line per finding and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# underscore names that are public APIs of other libraries
_ALLOWED_ATTRIBUTES = {"_asdict", "_replace", "_fields", "_make", "_exit", "_getframe"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner(node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id in ("self", "cls"):
        return True
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _package_of(path: Path) -> tuple[str, ...]:
    return path.relative_to(ROOT).parent.parts  # ("mmwidgets", "fusion", "modes")


def _private_module(module: str) -> tuple[str, ...] | None:
    """The package a private module belongs to, if ``module`` names one."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if i > 0 and _is_private(part):
            return tuple(parts[:i])
    return None


def findings(path: Path) -> Iterator[str]:
    """``file:line: message`` for every violation in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _package_of(path)
    rel = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _is_private(node.attr)
            and node.attr not in _ALLOWED_ATTRIBUTES
            and not _owner(node.value)
        ):
            yield f"{rel}:{node.lineno}: reads private attribute {ast.unparse(node)!r}"
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            owner = _private_module(module)
            if owner is not None and owner[0] == "mmwidgets" and owner != here[: len(owner)]:
                yield f"{rel}:{node.lineno}: imports {module!r} from outside {'.'.join(owner)}"
                break


def main(argv: list[str]) -> int:
    """Check the given folders or files; 1 if anything was found."""
    targets = [Path(a).resolve() for a in argv] or [ROOT / "mmwidgets"]
    files = sorted(f for t in targets for f in ([t] if t.is_file() else t.rglob("*.py")))
    found = [line for f in files for line in findings(f)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
