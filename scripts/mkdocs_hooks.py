"""MkDocs hooks: the tutorial's downloads (script, notebook, Open in Colab).

- Adds each `tutorial/NN_name.py` and `notebooks/NN_name.ipynb` to the site as
  `tutorial/downloads/NN_name.py` and `.ipynb`, so they can be downloaded and
  the strict build checks the links to them.
- Puts a line of download links under the title of each tutorial step; the
  Colab link is built from `repo_url` (mkdocs.yml) and left out without one.
- Keeps typeset math out of the search index: KaTeX renders the spans in the
  browser, but the index is built from the HTML, where they are raw TeX.
"""

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_notebooks  # noqa: E402

STEP_PAGE = re.compile(r"^tutorial/(\d\d)-[\w-]+\.md$")


def on_files(files, config):
    for script in make_notebooks.scripts():
        files.append(File.generated(config, f"tutorial/downloads/{script.name}",
                                    abs_src_path=str(script)))
        notebook = make_notebooks.NOTEBOOKS / f"{script.stem}.ipynb"
        if notebook.is_file():
            files.append(File.generated(config, f"tutorial/downloads/{script.stem}.ipynb",
                                        abs_src_path=str(notebook)))
    return files


def on_page_markdown(markdown, page, config, files):
    m = STEP_PAGE.match(page.file.src_uri)
    if not m:
        return markdown
    script = next(s for s in make_notebooks.scripts() if s.name.startswith(m[1] + "_"))
    links = [f'[Download the script `{script.name}`](downloads/{script.name}){{ download="{script.name}" }}']
    if (make_notebooks.NOTEBOOKS / f"{script.stem}.ipynb").is_file():
        links.append(f'[the notebook](downloads/{script.stem}.ipynb){{ download="{script.stem}.ipynb" }}')
    colab = make_notebooks.colab_url(script, {
        "repo_url": config.get("repo_url"),
        "branch": config.get("extra", {}).get("colab_branch", "main"),
        "site_url": config.get("site_url"),
    })
    if colab:
        links.append(f"[open it in Colab]({colab})")
    box = ('<div class="tutorial-downloads" data-search-exclude markdown>\n'
           + " · ".join(links)
           + f". The code blocks below, copied in order (the exercises' solutions "
           f"aside), are this script: "
           f"`python tutorial/{script.name}` runs it.\n</div>\n")
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{box}\n{rest}"


def on_page_content(html, page, config, files):
    # Math spans are typeset by KaTeX in the browser; the search index would get raw TeX.
    return re.sub(r'<(span|div) class="arithmatex"', r'<\1 class="arithmatex" data-search-exclude',
                  html)
