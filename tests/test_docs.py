"""The documentation site: strict build, executed code, complete CLI reference, and a browser check.

- `mkdocs build --strict` passes with no warnings (broken links, anchors,
  missing snippet files or sections, docstring problems all fail it).
- Every ```python block in docs/ is either included from tutorial/ by a
  snippet (and tutorial/ is run by test_tutorial.py) or executed here.
- Every option of the command-line tools appears on the CLI reference page.
- A headless Chromium (Debian's `chromium`, driven by Playwright) opens every
  built page and checks that the math is typeset, every image loaded, every
  internal link resolves and the console shows no errors; the main pages
  fit a 1280 px and a 390 px window (their tables too, at 1280 px). Set
  VAE_KERAS_SCREENSHOTS=DIR to also save full-page screenshots of them there.
"""

import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from browsing import chromium, serve
from sitebuild import build_site, env_for_tools

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SNIPPET = re.compile(r'^-{1,3}8<-{1,3}\s+"([^"]+)"$')
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*$")


@pytest.fixture(scope="module")
def site():
    """The site built strictly into a temporary folder (once per process, see sitebuild.py)."""
    return build_site()


def test_mkdocs_build_strict_has_no_warnings(site):
    _, result = site
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)


def test_search_index_holds_no_raw_tex(site):
    """Math is typeset in the browser; search snippets must not show its TeX source.

    (TeX inside code, such as a matplotlib label "$\\mu$", is code and stays.)
    """
    import json

    out, result = site
    assert result.returncode == 0
    docs = json.loads((out / "search" / "search_index.json").read_text())["docs"]
    assert len(docs) > 100
    raw = [f"{d['location']}: ...{d['text'][max(0, m.start() - 60):m.end() + 40]}..."
           for d in docs for m in re.finditer(r"\\\(|\\\[|\$\$|\\begin\{", d["text"])]
    assert not raw, "\n".join(raw[:10])


def python_blocks():
    """(page, first line, code) of every ```python block in the docs, nested ones included."""
    blocks = []
    for page in sorted(DOCS.rglob("*.md")):
        if "assets" in page.relative_to(DOCS).parts:
            continue
        lines = page.read_text().splitlines()
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            indent, lang, start = m["indent"], m["lang"], i
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(indent):])
                i += 1
            i += 1
            if lang in ("python", "py"):
                blocks.append((page.relative_to(ROOT), start + 1, "\n".join(body)))
    return blocks


BLOCKS = python_blocks()


def test_docs_have_python_blocks():
    assert len(BLOCKS) > 30


@pytest.mark.parametrize("page,line,code", BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_python_block_is_from_tutorial_or_runs(page, line, code, backend, tmp_path):
    lines = [s.strip() for s in code.splitlines() if s.strip()]
    includes = [SNIPPET.match(s) for s in lines]
    if lines and all(includes):
        for m in includes:
            path = m[1].split(":")[0]
            assert path.startswith("tutorial/"), (
                f"{page}:{line} includes {path}: Python shown on the site comes from tutorial/"
            )
        return
    assert not any(includes), f"{page}:{line} mixes snippet includes with pasted code"
    script = tmp_path / "block.py"
    script.write_text(code)
    env = dict(env_for_tools(), KERAS_BACKEND=backend)
    env.pop("VAE_KERAS_DATA", None)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{page}:{line} failed:\n{result.stderr[-3000:]}"


README_BLOCKS = re.findall(r"^```python\n(.*?)^```$", (ROOT / "README.md").read_text(),
                           flags=re.M | re.S)


@pytest.mark.parametrize("code", README_BLOCKS, ids=lambda c: c.splitlines()[-1][:30])
def test_readme_python_block_runs(code, backend, tmp_path):
    """The README's Python, copied as it is, runs in an empty folder with the bundled data."""
    assert len(README_BLOCKS) >= 1
    script = tmp_path / "readme.py"
    script.write_text(code)
    env = dict(env_for_tools(), KERAS_BACKEND=backend)
    env.pop("VAE_KERAS_DATA", None)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README.md block failed:\n{result.stderr[-3000:]}"


def help_options(command):
    result = subprocess.run([sys.executable, *command, "--help"], cwd=ROOT, env=env_for_tools(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", result.stdout)) - {"--help"}


@pytest.mark.parametrize("command", [
    ["-m", "vae_keras.train"],
    ["-m", "vae_keras.evaluate"],
    ["-m", "vae_keras.experiments"],
    ["scripts/make_docs_figures.py"],
], ids=lambda c: c[-1])
def test_cli_reference_lists_every_option(command):
    page = (DOCS / "reference" / "cli.md").read_text()
    missing = sorted(o for o in help_options(command) if f"`{o}" not in page)
    assert not missing, f"docs/reference/cli.md lacks {missing} of {' '.join(command)}"


# --- The headless browser -------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(site):
    out, result = site
    if result.returncode != 0:
        pytest.skip("the site did not build (see test_mkdocs_build_strict_has_no_warnings)")
    with serve(out) as base:
        yield out, base


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


CHECK_PAGE = r"""() => {
  const raw = [...document.querySelectorAll('.arithmatex')]
    .filter(e => !e.querySelector('.katex'))
    .map(e => e.textContent.slice(0, 80));
  // The page (navigation and tables of contents included) without code, scripts
  // and typeset math: any TeX left in it is raw.
  const prose = document.body.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, .katex').forEach(e => e.remove());
  const images = [...document.images];
  return {
    arithmatex: document.querySelectorAll('.arithmatex').length,
    katex: document.querySelectorAll('.katex').length,
    katexErrors: document.querySelectorAll('.katex-error').length,
    rawTex: raw,
    leftoverTex: prose.textContent.match(/\\\(|\\\[|\$\$|\\(frac|mathbb|mathcal|sum|mid)\b/g) || [],
    brokenImages: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    images: images.length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  };
}"""


def site_pages(out):
    pages = []
    for html in sorted(out.rglob("index.html")):
        rel = html.parent.relative_to(out).as_posix()
        if rel.startswith(("assets", "search")):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


def test_browser_renders_every_page(server, browser):
    out, base = server
    pages = site_pages(out)
    assert len(pages) >= 18, pages
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    # A request cut short by the next navigation (net::ERR_ABORTED) is not an error.
    page.on("requestfailed", lambda r: errors.append(f"{page.url}: {r.failure} {r.url}")
            if "ERR_ABORTED" not in (r.failure or "") else None)
    page.on("response", lambda r: errors.append(f"{page.url}: HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    ids, links, problems = {}, set(), []
    for rel in pages:
        response = page.goto(base + rel, wait_until="load")
        assert response is not None and response.ok, rel
        page.wait_for_function(
            "document.querySelectorAll('.arithmatex').length === 0 || "
            "document.querySelectorAll('.katex').length > 0", timeout=10_000)
        info = page.evaluate(CHECK_PAGE)
        ids[rel] = set(info["ids"])
        links.update(info["links"])
        if info["rawTex"] or info["katexErrors"] or info["leftoverTex"]:
            problems.append(f"{rel}: math not typeset: {info['rawTex'][:3]}, "
                            f"{info['katexErrors']} KaTeX errors, raw TeX {info['leftoverTex'][:5]}")
        if info["arithmatex"] and not info["katex"]:
            problems.append(f"{rel}: {info['arithmatex']} math elements, none typeset")
        if info["brokenImages"]:
            problems.append(f"{rel}: images not loaded: {info['brokenImages']}")
    context.close()
    for link in sorted(links):
        url = urllib.parse.urlsplit(link)
        if not link.startswith(base):
            continue
        rel = url.path[1:]
        target = out / urllib.parse.unquote(rel)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"broken internal link: {link}")
        elif url.fragment and rel in ids and urllib.parse.unquote(url.fragment) not in ids[rel]:
            problems.append(f"broken anchor: {link}")
    assert not problems, "\n".join(problems)
    assert not errors, "\n".join(errors)


SCREENSHOT_PAGES = ("", "theory/", "tutorial/", "tutorial/06-training/", "results/",
                    "getting-started/", "performance/", "reference/api/", "explorer/")

FIT = r"""() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  tables: [...document.querySelectorAll('.md-typeset table')]
    .map(t => ({width: t.scrollWidth, room: t.parentElement.clientWidth,
                head: t.rows[0] ? t.rows[0].textContent.trim().slice(0, 60) : ''}))
    .filter(t => t.width > t.room + 1),
})"""


def test_pages_fit_desktop_and_phone_widths(server, browser):
    """No page scrolls sideways at 1280 or 390 px, and at 1280 px every table fits.

    Set VAE_KERAS_SCREENSHOTS=DIR to also save the full-page screenshots there.
    """
    _, base = server
    folder = os.environ.get("VAE_KERAS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
    problems = []
    for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      device_scale_factor=1)
        page = context.new_page()
        for rel in SCREENSHOT_PAGES:
            page.goto(base + rel, wait_until="load")
            fit = page.evaluate(FIT)
            if fit["page"] > 0:
                problems.append(f"{rel or 'home'} at {width} px: the page is {fit['page']} px "
                                "wider than the window")
            if width == 1280 and fit["tables"]:
                problems.append(f"{rel or 'home'} at 1280 px: tables cut off: {fit['tables']}")
            if folder:
                stem = rel.strip("/").replace("/", "-") or "home"
                page.screenshot(path=Path(folder) / f"{stem}-{name}.png", full_page=True)
        context.close()
    assert not problems, "\n".join(problems)
