"""The tutorial's notebooks: generated from the pages, committed up to date, and they run.

`notebooks/NN_name.ipynb` is made from `docs/tutorial/NN-name.md` by
scripts/make_notebooks.py (prose as markdown cells, the included code as code
cells). Executing all ten takes minutes, so it runs under JAX only (the page
test in test_tutorial.py runs the same code under every backend). The
notebooks run in order in one folder, as a reader would run them, so steps 7
to 9 use the model that step 6 saved.
"""

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_notebooks  # noqa: E402
from tutorial_sections import sections  # noqa: E402

SCRIPTS = make_notebooks.scripts()


def test_notebooks_are_up_to_date():
    make_notebooks.main(["--check"])


def test_a_stale_notebook_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(make_notebooks, "NOTEBOOKS", tmp_path)
    with pytest.raises(SystemExit, match="out of date"):
        make_notebooks.main(["--check"])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_holds_the_script_and_the_prose(script):
    nb = json.loads((ROOT / "notebooks" / f"{script.stem}.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c.strip() for c in code] == [c.strip() for _, c in sections(script)]
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "**Goal:**" in prose and "--8<--" not in prose and "\\(" not in prose


def test_colab_link_only_with_a_github_repo_url():
    script = SCRIPTS[0]
    assert make_notebooks.colab_url(script, {"repo_url": None, "branch": "main"}) is None
    url = make_notebooks.colab_url(
        script, {"repo_url": "https://github.com/someone/vae-keras", "branch": "main"})
    assert url == ("https://colab.research.google.com/github/someone/vae-keras/blob/main/"
                   "notebooks/01_data.ipynb")


@pytest.fixture(scope="module")
def reader_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("notebooks")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_runs(script, reader_folder, backend, monkeypatch):
    if backend != "jax":
        pytest.skip("the notebooks run under JAX; test_tutorial.py runs their code on every backend")
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("VAE_KERAS_DATA", raising=False)
    nb = nbformat.read(ROOT / "notebooks" / f"{script.stem}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(reader_folder)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "backend: jax" in text
