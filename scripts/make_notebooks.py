"""Writes one Jupyter notebook per tutorial step, generated from its docs page.

Usage: python scripts/make_notebooks.py [--check]

A page `docs/tutorial/NN-name.md` becomes `notebooks/NN_name.ipynb`: the prose
as markdown cells, every included tutorial section as a code cell, in the
page's order. Outputs shown on the page (```text blocks) and its figures are
left out: running the notebook makes them. The page and the script stay the
only sources; the notebooks are committed (Colab opens notebooks from the
repository) and `--check` (run by the tests) fails if one is out of date.

With `repo_url` set in mkdocs.yml, the first code cell installs the package
from that repository when the notebook runs on Colab, and links to other pages
point at `site_url`; with either unset, those parts are left out.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from tutorial_sections import sections  # noqa: E402

PAGES = ROOT / "docs" / "tutorial"
NOTEBOOKS = ROOT / "notebooks"
SNIPPET = re.compile(r'^-{1,3}8<-{1,3}\s+"([^"]+)"$')
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)")
ADMONITION = re.compile(
    r'^(?P<indent>\s*)(?P<mark>!!!|\?\?\?\+?)\s+(?P<kind>[\w-]+)(?:\s+"(?P<title>[^"]*)")?\s*$')
TAB = re.compile(r'^=== "(?P<title>[^"]+)"\s*$')
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
AUTOREF = re.compile(r"\[(?P<text>[^\]]+)\]\[[\w.]+\]")
IMAGE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")


def site_config():
    """repo_url and site_url from mkdocs.yml (read as text: the file has custom tags)."""
    text = (ROOT / "mkdocs.yml").read_text()
    found = {}
    for key in ("repo_url", "site_url"):
        m = re.search(rf"^{key}:\s*(\S+)\s*$", text, flags=re.M)
        found[key] = m[1].strip("'\"").rstrip("/") if m else None
    m = re.search(r"^\s+colab_branch:\s*(\S+)\s*$", text, flags=re.M)
    found["branch"] = m[1].strip("'\"") if m else "main"
    return found


def page_for(script):
    return next(PAGES.glob(f"{script.name[:2]}-*.md"))


def scripts():
    return sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py"))


def included_code(target):
    """The code a snippet line includes: 'tutorial/x.py:section' or a whole file."""
    path, _, name = target.partition(":")
    if not name:
        return (ROOT / path).read_text().rstrip("\n")
    return dict(sections(ROOT / path))[name].rstrip("\n")


def convert_links(line, page, site_url):
    """Relative links become absolute site links (or plain text without a site_url)."""
    line = AUTOREF.sub(lambda m: m["text"], line)

    def absolute(m):
        target = m["target"]
        if re.match(r"^[a-z]+://", target):
            return m[0]
        if not site_url:
            return m["text"]
        path, _, anchor = target.partition("#")
        url = (page.parent.relative_to(ROOT / "docs") / path).as_posix()
        parts = []
        for part in url.split("/"):
            if part == "..":
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        url = "/".join(parts)
        url = re.sub(r"(index)?\.md$", "", url)
        url = url + "/" if url and not url.endswith("/") else url
        return f"[{m['text']}]({site_url}/{url}{'#' + anchor if anchor else ''})"

    return LINK.sub(absolute, line)


def convert_math(line):
    return (line.replace("\\(", "$").replace("\\)", "$")
            .replace("\\[", "$$").replace("\\]", "$$"))


def cells_of_page(page, site_url):
    """[(kind, source)] for a tutorial page: 'markdown' prose and 'code' cells."""
    lines = page.read_text().splitlines()
    cells, prose = [], []

    def flush():
        text = "\n".join(prose).strip("\n")
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text.strip():
            cells.append(("markdown", text))
        prose.clear()

    # open_blocks: (indent, closing text) of the admonitions being converted: a
    # collapsible one (???) becomes <details>, a plain one (!!!) a bold title.
    i, open_blocks = 0, []
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        while open_blocks and line.strip() and indent <= open_blocks[-1][0]:
            prose.append(open_blocks.pop()[1])
        fence = FENCE.match(line)
        if fence:
            body, i = [], i + 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(fence["indent"]):])
                i += 1
            i += 1
            includes = [SNIPPET.match(b.strip()) for b in body if b.strip()]
            if fence["lang"] == "text":
                continue  # outputs: the notebook makes its own
            if fence["lang"] == "python" and includes and all(includes) and not open_blocks:
                flush()
                code = "\n\n".join(included_code(m[1]) for m in includes)
                cells.append(("code", code))
                continue
            if fence["lang"] == "python" and includes and all(includes):
                body = [included_code(m[1]) for m in includes]  # a solution: shown, not run
            prose.append("```" + fence["lang"])
            prose.extend(body)
            prose.append("```")
            continue
        admonition = ADMONITION.match(line)
        tab = TAB.match(line)
        if admonition:
            title = convert_math(admonition["title"] or admonition["kind"].capitalize())
            if admonition["mark"] == "!!!":
                prose.append(f"\n**{title}**\n")
                open_blocks.append((len(admonition["indent"]), ""))
            else:
                prose.append(f"\n<details><summary><b>{title}</b></summary>\n")
                open_blocks.append((len(admonition["indent"]), "\n</details>\n"))
        elif tab:
            prose.append(f"**{tab['title']}**")
        elif IMAGE.match(line) or line.strip().startswith("<!--"):
            pass  # the figures: running the notebook draws them
        elif line.startswith("--8<--"):
            pass
        else:
            stripped = line.strip() if (open_blocks or line.startswith("    ")) else line
            prose.append(convert_math(convert_links(stripped, page, site_url)))
        i += 1
    while open_blocks:
        prose.append(open_blocks.pop()[1])
    flush()
    return cells


def notebook(script, config=None):
    """The notebook of one tutorial step, as a dict in nbformat 4."""
    config = config or site_config()
    page = page_for(script)
    cells = cells_of_page(page, config["site_url"])
    title, rest = cells[0][1].split("\n", 1) if "\n" in cells[0][1] else (cells[0][1], "")
    intro = [title, "",
             f"*Generated from the page `docs/tutorial/{page.name}` and the script "
             f"`tutorial/{script.name}`: run the cells in order. Figures and outputs "
             "appear as the cells run.*"]
    cells = [("markdown", "\n".join(intro))] + ([("markdown", rest.strip())] if rest.strip()
                                                  else []) + cells[1:]
    if config["repo_url"]:
        install = ("# On Colab, install vae-keras first (elsewhere: pip install -r "
                   "requirements.txt in a clone).\nimport sys\n\n"
                   "if \"google.colab\" in sys.modules:\n"
                   "    import subprocess\n\n"
                   "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", "
                   f"\"git+{config['repo_url']}\"], check=True)")
        cells.insert(1, ("code", install))
    nb_cells = []
    for n, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{n}", "metadata": {},
                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        nb_cells.append(cell)
    return {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def text_of(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def colab_url(script, config=None):
    """The 'Open in Colab' address of a step's notebook, or None without a GitHub repo_url."""
    config = config or site_config()
    repo = config["repo_url"]
    m = re.match(r"^https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?$", repo or "")
    if not m:
        return None
    return (f"https://colab.research.google.com/github/{m[1]}/blob/{config['branch']}/"
            f"notebooks/{script.stem}.ipynb")


def shown(path):
    """A path relative to the repository when it is inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if a committed notebook differs from the generated one")
    args = parser.parse_args(argv)
    config = site_config()
    stale = []
    NOTEBOOKS.mkdir(exist_ok=True)
    for script in scripts():
        path = NOTEBOOKS / f"{script.stem}.ipynb"
        text = text_of(notebook(script, config))
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(shown(path))
        else:
            path.write_text(text)
            print(f"wrote {shown(path)}")
    if stale:
        sys.exit(f"out of date (run python scripts/make_notebooks.py): {', '.join(stale)}")


if __name__ == "__main__":
    main()
