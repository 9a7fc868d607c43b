"""The named sections of a tutorial script, and running them one by one.

Every tutorial script `tutorial/NN_name.py` is a module docstring followed by
sections marked `# --8<-- [start:NAME]` ... `# --8<-- [end:NAME]`, the markers
that `pymdownx.snippets` uses to include a part of a file in a page. Its page
includes every section, in order, so the code on the page is the whole script.

    python scripts/tutorial_sections.py run tutorial/01_data.py OUT_DIR

executes the sections in order in one namespace (the same as running the
script) and writes what each printed to `OUT_DIR/01_data.SECTION.txt` (nothing
for a section that prints nothing): the outputs the pages show under each block.
"""

import ast
import contextlib
import io
import re
import sys
import time
from pathlib import Path

MARKER = re.compile(r"^# --8<-- \[(start|end):(\w+)\]$")


def sections(path):
    """[(name, code)] of a tutorial script, in file order.

    Raises ValueError if a marker is unbalanced or any code lies outside the
    sections (only the module docstring and blank lines may).
    """
    lines = Path(path).read_text().splitlines()
    found, current, body, outside = [], None, [], []
    for number, line in enumerate(lines, 1):
        m = MARKER.match(line.strip())
        if m and m[1] == "start":
            if current is not None:
                raise ValueError(f"{path}:{number}: section {m[2]} starts inside {current}")
            current, body = m[2], []
        elif m:
            if m[2] != current:
                raise ValueError(f"{path}:{number}: end of {m[2]} but {current} is open")
            found.append((current, "\n".join(body).strip("\n") + "\n"))
            current = None
        elif current is not None:
            body.append(line)
        else:
            outside.append(line)
    if current is not None:
        raise ValueError(f"{path}: section {current} never ends")
    rest = "\n".join(outside).strip()
    if rest:
        tree = ast.parse(rest)
        docstring_only = (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
                          and isinstance(tree.body[0].value, ast.Constant))
        if not docstring_only:
            raise ValueError(f"{path}: code outside the snippet sections: {rest[:200]!r}")
    return found


def exercises_of(path):
    """tutorial/exercises/NN_name.py, the solutions of a step's exercises, or None."""
    path = Path(path).parent / "exercises" / Path(path).name
    return path if path.is_file() else None


def run(path, out_dir):
    """Runs the script section by section, then its exercises' solutions.

    Writes what each section printed to OUT_DIR/NN_name.SECTION.txt, and what
    each solution printed to OUT_DIR/NN_name.exercise.SECTION.txt.
    """
    path, out_dir = Path(path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    namespace = {"__name__": "__main__", "__file__": str(path)}
    parts = [(name, code, "") for name, code in sections(path)]
    if exercises_of(path):
        parts += [(name, code, "exercise.") for name, code in sections(exercises_of(path))]
    for name, code, kind in parts:
        buffer, start = io.StringIO(), time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, f"{path}[{kind}{name}]", "exec"), namespace)
        text = buffer.getvalue()
        sys.stdout.write(text)
        print(f"[{path.name} {kind}{name}: {time.perf_counter() - start:.1f} s]", file=sys.stderr)
        if text.strip():
            (out_dir / f"{path.stem}.{kind}{name}.txt").write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit("usage: python scripts/tutorial_sections.py run SCRIPT OUT_DIR")
    run(sys.argv[2], sys.argv[3])
