"""The docs site built once per test process (tests/test_docs.py and tests/test_tutorial.py share it)."""

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env_for_tools():
    return dict(os.environ, NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")


@functools.lru_cache(maxsize=None)
def build_site():
    """(site folder, CompletedProcess) of `mkdocs build --strict`, built at most once."""
    out = Path(tempfile.mkdtemp(prefix="vae-keras-site-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env_for_tools(), capture_output=True, text=True, timeout=600,
    )
    return out, result
