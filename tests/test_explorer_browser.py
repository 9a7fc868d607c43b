"""The latent explorer in a real browser: headless Chromium (Playwright) on the built page.

The explorer page is built with the site's own mkdocs.yml (theme, extensions,
CSS and JavaScript; only the nav is cut to this page, which takes a second
instead of the whole site's minute) and served on localhost twice: with the
site's committed export, and with a tiny model trained here and exported into
a copy of the built site. The test moves the mouse (or taps, on a 400 px
phone) to a known code and checks that the digit canvas changed and holds,
pixel for pixel, what Keras's `VAE.decode` gives there. Set
VAE_KERAS_SCREENSHOTS=DIR to keep the screenshots (1280 px light and dark,
400 px phone) there.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from browsing import chromium, serve
from explorer_tools import ROOT, tiny_run
from sitebuild import env_for_tools
from vae_keras import export_web

DOCS = ROOT / "docs"
CONFIG = """INHERIT: {root}/mkdocs.yml
docs_dir: {docs}
site_dir: {site}
strict: false
nav:
  - explorer.md
plugins:
  - search
hooks:
  - {root}/scripts/mkdocs_hooks.py
"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory, subset):
    """`(folder, {"real": model or None, "test": the tiny VAE})`: both sites under one folder."""
    tmp = tmp_path_factory.mktemp("explorer-site")
    docs = tmp / "docs"
    (docs / "assets").mkdir(parents=True)
    shutil.copy2(DOCS / "explorer.md", docs)
    for name in ("javascripts", "stylesheets", "katex", "explorer"):
        shutil.copytree(DOCS / "assets" / name, docs / "assets" / name)
    config = tmp / "mkdocs.yml"
    config.write_text(CONFIG.format(root=ROOT, docs=docs, site=tmp / "www" / "real"))
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(config)],
                            cwd=ROOT, env=env_for_tools(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    shutil.copytree(tmp / "www" / "real", tmp / "www" / "test")
    vae = tiny_run(tmp / "run", subset, images=2048, epochs=2)  # draws distinct digits
    export_web.main([str(tmp / "run"), str(tmp / "www" / "test" / "assets" / "explorer"),
                     "--points", "300"])
    return tmp / "www", vae


@pytest.fixture(scope="module")
def base_url(sites):
    with serve(sites[0]) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def screenshot_dir(tmp_path):
    folder = Path(os.environ.get("VAE_KERAS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, url, width, height=900, touch=False):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector(".vae-explorer[data-state=ready]", timeout=20_000)
    return context, page, errors


def digit_pixels(page, selector=".vae-explorer__digit"):
    """The grey levels (0-255) of a 28x28 digit canvas, read back from the page."""
    data = page.evaluate("""(s) => {
      const c = document.querySelector(s);
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }""", selector)
    return np.array(data).reshape(-1, 4)[:, 0]


def position(box, extent, z):
    return (float(box["x"] + (z[0] / extent + 1) / 2 * box["width"]),
            float(box["y"] + (1 - z[1] / extent) / 2 * box["height"]))


def current_z(page):
    return np.array([float(v) for v in
                     page.get_attribute(".vae-explorer", "data-z").split(",")], "float32")


def expected_grey(decode, z):
    return np.round(255 * np.asarray(decode(z), "float64").reshape(-1)).astype(int)


def move_and_check(page, box, extent, target, decode, touch=False):
    """Moves (or taps) to `target`; checks the z read back and the canvas against `decode`."""
    before = digit_pixels(page)
    old = page.get_attribute(".vae-explorer", "data-z")
    x, y = position(box, extent, target)
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y, steps=4)
    page.wait_for_function("(old) => document.querySelector('.vae-explorer').dataset.z !== old",
                           arg=old, timeout=5000)
    z = current_z(page)
    assert np.abs(z - np.array(target)).max() < 2 * 2 * extent / box["width"], (z, target)
    after = digit_pixels(page)
    assert np.abs(after - before).max() > 40, "the digit did not change"
    difference = np.abs(after - expected_grey(decode, z)).max()
    assert difference <= 1, f"canvas differs from the decoder by {difference} grey levels at {z}"
    return z


def most_different(vae, z, extent):
    """The code on a 9x9 lattice of the plane whose decoded digit differs most from z's.

    The tiny model is barely trained: a fixed target could decode to nearly the
    same blur as the start, and a canvas that did not update would go unnoticed.
    """
    lattice = np.stack(np.meshgrid(*[np.linspace(-0.8 * extent, 0.8 * extent, 9)] * 2),
                       -1).reshape(-1, 2).astype("float32")
    images = vae.decode(np.vstack([np.asarray(z, "float32")[None], lattice]))
    images = images.reshape(len(images), -1)
    return tuple(lattice[np.abs(images[1:] - images[0]).max(axis=1).argmax()])


def test_canvas_matches_keras_under_the_mouse_and_the_finger(sites, base_url, browser, tmp_path):
    _, vae = sites
    extent = export_web.read_exported(sites[0] / "test" / "assets" / "explorer")[0]["points"][
        "extent"]
    keras_decode = lambda z: vae.decode(np.asarray(z, "float32")[None])  # noqa: E731
    first = most_different(vae, (0, 0), extent)
    targets = (first, most_different(vae, first, extent))
    for width, touch in ((1280, False), (400, True)):
        context, page, errors = open_page(browser, base_url + "test/explorer/", width,
                                          touch=touch)
        box = page.locator(".vae-explorer__plane").bounding_box()
        np.testing.assert_array_equal(digit_pixels(page), expected_grey(keras_decode, [0, 0]))
        for target in targets:
            move_and_check(page, box, extent, target, keras_decode, touch=touch)
        assert not errors, errors
        context.close()


def test_interpolation_strip(sites, base_url, browser):
    _, vae = sites
    extent = export_web.read_exported(sites[0] / "test" / "assets" / "explorer")[0]["points"][
        "extent"]
    context, page, errors = open_page(browser, base_url + "test/explorer/", 1280)
    page.get_by_role("button", name="Interpolate: click two points").click()
    box = page.locator(".vae-explorer__plane").bounding_box()
    ends = []
    for target in ((-2.0, -1.0), (2.0, 1.5)):
        page.mouse.click(*position(box, extent, target))
        ends.append(current_z(page))
    assert page.locator(".vae-explorer__step").count() == 10
    codes = np.linspace(ends[0], ends[1], 10).astype("float32")
    expected = np.round(255 * vae.decode(codes).reshape(10, -1)).astype(int)
    for i in (0, 4, 9):
        got = digit_pixels(page, f".vae-explorer__step:nth-child({i + 1})")
        assert np.abs(got - expected[i]).max() <= 1, i
    assert not errors, errors
    context.close()


def test_site_export_screenshots_light_dark_and_phone(sites, base_url, browser, tmp_path):
    """The committed site export: decodes what NumPy reads from its files; screenshots."""
    folder = screenshot_dir(tmp_path)
    manifest, layers, _, _ = export_web.read_exported(DOCS / "assets" / "explorer")
    extent = manifest["points"]["extent"]
    numpy_decode = lambda z: export_web.decode_numpy(layers, np.asarray(z)[None])  # noqa: E731
    for name, width, touch in (("desktop", 1280, False), ("phone", 400, True)):
        context, page, errors = open_page(browser, base_url + "real/explorer/", width,
                                          touch=touch)
        text = page.inner_text(".vae-explorer__run")
        assert f"Test −ELBO {manifest['metrics']['test_neg_elbo']:.1f} nats" in text, text
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator(".vae-explorer__plane").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        move_and_check(page, box, extent, (0.8, -0.6), numpy_decode, touch=touch)
        page.screenshot(path=folder / f"explorer-{name}.png", full_page=True)
        if not touch:
            page.get_by_role("button", name="Interpolate: click two points").click()
            for z in ((-0.5, -2.5), (1.5, 1.0)):  # from the 1s towards the 9s and 4s
                page.mouse.click(*position(box, extent, z))
            page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
            page.locator(".vae-explorer").screenshot(path=folder / f"explorer-{name}-dark.png")
        assert not errors, errors
        context.close()
