"""The model code is backend-agnostic: it imports no backend library."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vae_keras"
MODEL_CODE = ["layers.py", "losses.py", "models.py", "networks.py", "numpy_api.py", "conditional.py"]
BACKEND_LIBRARIES = {"tensorflow", "torch", "jax", "jaxlib", "flax", "optax"}


def imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split(".")[0]


def test_model_code_imports_no_backend_library():
    for name in MODEL_CODE:
        found = set(imported_roots(PACKAGE / name)) & BACKEND_LIBRARIES
        assert not found, f"{name} imports {found}"


def test_backend_imports_elsewhere_in_the_package_are_inside_functions():
    # A backend library may only be imported inside a function (guarded by the
    # backend in use), never at module level, so `import vae_keras` works anywhere.
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                roots = {n.split(".")[0] for n in names}
                assert not roots & BACKEND_LIBRARIES, f"{path.name} imports {roots} at module level"


def test_the_checker_detects_a_backend_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy\nfrom torch import nn\n")
    assert "torch" in set(imported_roots(bad))
