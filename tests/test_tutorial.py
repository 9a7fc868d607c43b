"""Every tutorial page runs as a reader would copy it, under the current KERAS_BACKEND.

The site is built (strictly), and from each tutorial page's HTML the Python code
blocks are taken in order, exactly as the copy button would copy them: the
text of each `<code>` in a `language-python` block. The blocks outside
collapsed solutions must be the whole tutorial script, section by section;
they are written to one file with the page's exercise solutions after them, and
run in a fresh, empty working folder with the bundled data. The run must exit
0 and write every figure the page shows.
"""

import html.parser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sitebuild import build_site

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from tutorial_sections import exercises_of, sections  # noqa: E402

SCRIPTS = sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py"))
PAGES = ROOT / "docs" / "tutorial"
INCLUDE = re.compile(r'^\s*-{1,3}8<-{1,3}\s+"(tutorial/[^"]+)"\s*$', flags=re.M)


def page_of(script):
    return next(PAGES.glob(f"{script.name[:2]}-*.md"))


class CodeBlocks(html.parser.HTMLParser):
    """The Python code blocks of a page, in order: [(inside <details>, code)]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.stack, self.details, self.python_div, self.code = [], [], 0, None, None

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr", "source"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append(tag)
        if tag == "details":
            self.details += 1
        if tag == "div" and "language-python" in classes and "highlight" in classes:
            self.python_div = len(self.stack)
        if tag == "code" and self.python_div is not None:
            self.code = []

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            closed = self.stack.pop()
            if closed == "details":
                self.details -= 1
            if closed == "code" and self.code is not None:
                self.blocks.append((self.details > 0, "".join(self.code)))
                self.code = None
            if self.python_div is not None and len(self.stack) < self.python_div:
                self.python_div = None
            if closed == tag:
                break

    def handle_data(self, data):
        if self.code is not None:
            self.code.append(data)


def copied_code(script):
    """(main program, solutions) as a reader copies them from the built page."""
    out, result = build_site()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html_path = out / "tutorial" / page_of(script).stem / "index.html"
    parser = CodeBlocks()
    parser.feed(html_path.read_text())
    main = [code for hidden, code in parser.blocks if not hidden]
    solutions = [code for hidden, code in parser.blocks if hidden]
    return main, solutions


def figures_on_page(script):
    """The figures the script's docs page shows, e.g. {'06_learning_curves.png'}."""
    number = script.name[:2]
    return set(re.findall(rf"assets/tutorial/({number}_[\w]+\.png)", page_of(script).read_text()))


def test_every_script_has_a_page_that_includes_all_of_it_in_order():
    assert len(SCRIPTS) == 11
    for script in SCRIPTS:
        text = page_of(script).read_text()
        included = INCLUDE.findall(text)
        own = [t.split(":", 1)[1] for t in included if t.startswith(f"tutorial/{script.name}:")]
        assert own == [name for name, _ in sections(script)], (
            f"{page_of(script).name} must include every section of {script.name} once, in order"
        )
        assert f"tutorial/{script.name}\"" not in text, "include sections, not the whole file"
        if exercises_of(script):
            solutions = [t.split(":", 1)[1] for t in included
                         if t.startswith(f"tutorial/exercises/{script.name}:")]
            assert solutions == [name for name, _ in sections(exercises_of(script))]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_page_code_copied_in_order_runs(script, tmp_path, backend):
    main, solutions = copied_code(script)
    expected = [code for _, code in sections(script)]
    assert [c.strip() for c in main] == [c.strip() for c in expected], (
        f"the Python blocks of {page_of(script).name}, copied in order, are not {script.name}"
    )
    if exercises_of(script):
        assert [c.strip() for c in solutions] == [
            c.strip() for _, c in sections(exercises_of(script))]
    program = tmp_path / "page.py"
    program.write_text("\n\n".join(main + solutions))
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, KERAS_BACKEND=backend, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("VAE_KERAS_DATA", None)
    if backend == "torch":
        # PyTorch's OpenMP threads spin while they wait: on a CPU shared with other
        # work, one epoch of step 6 took 76 s with the default threads, 2.1 s with one.
        env.setdefault("OMP_NUM_THREADS", "1")
    result = subprocess.run([sys.executable, str(program)], cwd=work, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (
        f"{page_of(script).name} failed under {backend}:\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    assert f"backend: {backend}" in result.stdout
    written = {p.name for p in (work / "runs" / "tutorial").glob("*.png")}
    missing = figures_on_page(script) - written
    assert not missing, f"{page_of(script).name}'s code did not write the figures it shows: {missing}"


def test_code_outside_sections_is_refused(tmp_path):
    """The coverage check above can fail: a line outside the sections is an error."""
    script = tmp_path / "99_x.py"
    script.write_text('"""Doc."""\n\n# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\nprint(x)\n')
    with pytest.raises(ValueError, match="outside the snippet sections"):
        sections(script)


def test_copied_code_skips_outputs_and_keeps_solutions_apart():
    parser = CodeBlocks()
    parser.feed('<div class="language-python highlight"><pre><span></span><code>'
                '<span class="n">x</span> <span class="o">=</span> 1 &lt; 2\n</code></pre></div>'
                '<div class="language-text highlight"><pre><code>output</code></pre></div>'
                '<details class="success"><summary>Solution</summary>'
                '<div class="language-python highlight"><pre><code>y = 2\n</code></pre></div>'
                '</details>')
    assert parser.blocks == [(False, "x = 1 < 2\n"), (True, "y = 2\n")]


SHOWN_OUTPUTS = ROOT / "docs" / "assets" / "tutorial" / "out"
# "loss A (reconstruction R, KL K)", "A nats = reconstruction R + KL K",
# "-ELBO by hand A nats (reconstruction R + KL K)": the loss the pages show is
# the sum of the two terms they show beside it (beta = 1 in every such line).
LOSS_EQUALS_TERMS = re.compile(
    r"(?:loss|=|ELBO|by hand) (-?\d+\.\d+)(?: nats)? (?:\(|= )?reconstruction (-?\d+\.\d+)"
    r"(?:,| \+) KL (-?\d+\.\d+)")


def test_shown_losses_are_the_sum_of_the_shown_terms():
    """Outputs on the pages obey loss = reconstruction + KL, to the printed rounding.

    Catches outputs left from before the loss trackers were weighted by batch
    size (epoch 1 once showed 282.1 = 260.0 + 21.6), or from an edited script.
    """
    checked, wrong = 0, []
    for path in sorted(SHOWN_OUTPUTS.glob("*.txt")):
        for line in path.read_text().splitlines():
            for total, rec, kl in LOSS_EQUALS_TERMS.findall(line):
                checked += 1
                # each printed number is within half its last digit of the true one
                rounding = sum(0.5 * 10.0 ** -len(x.split(".")[1]) for x in (total, rec, kl))
                if abs(float(total) - float(rec) - float(kl)) > rounding + 1e-9:
                    wrong.append(f"{path.name}: {line.strip()}")
    assert checked >= 20, checked
    assert not wrong, "\n".join(wrong)


def test_tutorial_lines_fit_a_code_block_at_1280_px():
    """A code block on a page shows 80 characters at 1280 px (measured in Chromium):
    longer lines would make the reader scroll sideways to read them."""
    scripts = SCRIPTS + sorted((ROOT / "tutorial" / "exercises").glob("*.py"))
    long = [f"{path.relative_to(ROOT)}:{number}: {len(line)} characters"
            for path in scripts
            for number, line in enumerate(path.read_text().splitlines(), 1) if len(line) > 80]
    assert not long, "\n".join(long)
