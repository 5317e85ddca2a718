"""The package's layers point one way: course_utils.data (real data) and course_utils.sims (simulators) never
import each other; what both need is in course_utils.taxonomy, and the loaders that fall back from one to the
other are in course_utils.loaders, above both. Imports are read from the source (ast), so an import inside a
function counts too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
# For each layer, the modules it must not import (a module or anything under it).
FORBIDDEN = {
    "course_utils.data": ("course_utils.sims", "course_utils.loaders"),
    "course_utils.sims": ("course_utils.data", "course_utils.loaders"),
    "course_utils.taxonomy": ("course_utils.data", "course_utils.sims", "course_utils.loaders"),
}


def module_name(path: Path, root: Path) -> str:
    """The dotted name of the module at ``path`` in package folder ``root``."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> list[tuple[int, list[str]]]:
    """(line, absolute module names) of every import statement in ``path``, relative imports resolved; an
    ``from X import Y`` imports X and X.Y (Y may be a submodule)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.append((node.lineno, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.append((node.lineno, [base] + [f"{base}.{alias.name}" for alias in node.names]))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import that crosses a layer the wrong way, as "file:line imports module"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        for layer, forbidden in FORBIDDEN.items():
            if name != layer and not name.startswith(layer + "."):
                continue
            for line, names in imported_modules(path, root):
                crossing = [m for m in names if any(m == bad or m.startswith(bad + ".") for bad in forbidden)]
                if crossing:
                    found.append(f"{path.relative_to(root.parent)}:{line} imports {crossing[0]}")
    return found


def test_data_and_sims_do_not_import_each_other():
    assert violations() == [], (
        "data/ and sims/ share only course_utils.taxonomy; a loader that needs both belongs in course_utils.loaders"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "from course_utils.sims.galaxies import simulate_galaxy10",  # at the top of a module
        "def f():\n    from ..sims import lenses",  # relative, inside a function
        "import course_utils.loaders",  # the layer above
    ],
)
def test_the_rule_catches_a_crossing_import(tmp_path, statement):
    data = tmp_path / "course_utils" / "data"
    data.mkdir(parents=True)
    (data / "__init__.py").write_text("")
    (data / "reader.py").write_text(
        "import numpy as np\nfrom course_utils.taxonomy import GALAXY10_CLASSES\n" + statement + "\n"
    )
    assert [v.split(" imports ")[0] for v in violations(tmp_path / "course_utils")] == [
        f"course_utils/data/reader.py:{statement.count(chr(10)) + 3}"
    ]


def test_importing_data_or_sims_loads_no_simulator_and_no_heavy_library():
    probe = (
        "import sys, course_utils.data, course_utils.sims, course_utils.loaders\n"
        "print(sorted(m for m in ('astropy.table', 'astropy.io.fits', 'scipy.fft', 'course_utils.sims.lenses',"
        " 'course_utils.sims.galaxies', 'course_utils.sims.lightcurves') if m in sys.modules))\n"
        "from course_utils.sims import simulate_lenses\n"
        "print(simulate_lenses.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "course_utils.sims.lenses"]


def test_an_unknown_simulator_name_is_an_attribute_error():
    import course_utils.sims

    with pytest.raises(AttributeError, match="simulate_quasars"):
        course_utils.sims.simulate_quasars  # noqa: B018
