"""The API reference: it renders exactly the package's exports, and every example in it runs.

Examples are fenced ```python blocks (as in Keras's own docstrings), shown on the
site as code a reader can copy. A `print(...)` line ends with a comment holding
what it prints (or the comment is the next line); this test runs each block and
compares.
"""

import contextlib
import importlib
import inspect
import io
import re
from pathlib import Path

import pytest

import vae_keras

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "api.md"
# Callbacks are not exported, but their docstring examples are complete programs too.
MORE_EXAMPLES = ["vae_keras.callbacks.EpochTimer", "vae_keras.callbacks.AtomicCheckpoint",
                 "vae_keras.callbacks.TensorBoardScalars"]


def page_objects():
    """`module.name` of each `::: module.name` on the API page, with the members it lists."""
    text = API_PAGE.read_text()
    found = []
    for match in re.finditer(r"^::: ([\w.]+)\n((?:    .*\n)*)", text, flags=re.M):
        found.append(match.group(1))
        found += [f"{match.group(1)}.{m}" for m in re.findall(r"^ +- (\w+)$", match.group(2), re.M)]
    return found


def resolve(path):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def examples(doc):
    return re.findall(r"^```python\n(.*?)^```$", doc or "", flags=re.M | re.S)


def expected_prints(code):
    lines = code.splitlines()
    expected = []
    for i, line in enumerate(lines):
        if not line.startswith("print("):
            continue
        comment = re.search(r"\)  # (.*)$", line)
        if comment:
            expected.append(comment.group(1))
        else:
            assert i + 1 < len(lines) and lines[i + 1].startswith("# "), line
            expected.append(lines[i + 1][2:])
    return expected


def test_api_page_renders_exactly_the_exports():
    exported = {f"{module}.{name}" for name, module in vae_keras._EXPORTS.items()}
    top_level = set(re.findall(r"^::: ([\w.]+)$", API_PAGE.read_text(), flags=re.M))
    assert top_level == exported, (sorted(top_level - exported), sorted(exported - top_level))
    for name, module in vae_keras._EXPORTS.items():
        assert getattr(vae_keras, name) is resolve(f"{module}.{name}")
    assert sorted(vae_keras.__all__) == sorted(vae_keras._EXPORTS)


@pytest.mark.parametrize("path", page_objects() + MORE_EXAMPLES)
def test_docstring_examples_run_and_print_what_they_show(path, tmp_path, monkeypatch):
    doc = inspect.getdoc(resolve(path))
    assert ">>> " not in (doc or ""), f"{path}: write examples as ```python blocks, not doctest"
    monkeypatch.chdir(tmp_path)  # examples may write files
    for code in examples(doc):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, path, "exec"), {"__name__": "__example__"})
        assert out.getvalue().splitlines() == expected_prints(code), (path, code)


def test_the_main_objects_have_examples():
    for path in ["vae_keras.models.VAE", "vae_keras.models.VAE.call",
                 "vae_keras.models.VAE.compute_loss", "vae_keras.layers.Sampling",
                 "vae_keras.losses.kl_divergence", "vae_keras.losses.bernoulli_nll",
                 "vae_keras.losses.gaussian_nll", *MORE_EXAMPLES]:
        assert examples(inspect.getdoc(resolve(path))), f"{path} has no ```python example"
