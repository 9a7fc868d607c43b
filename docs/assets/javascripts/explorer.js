/* The in-browser latent explorer: a 2-D VAE decoder run in plain JavaScript.
 *
 * Reads what `python -m vae_keras.export_web RUN_DIR OUT_DIR` writes
 * (manifest.json, decoder.bin, points.bin, in ../explorer/ next to this
 * script's folder) and fills every `<div class="vae-explorer">` of the page:
 * the latent plane with the test codes coloured by digit, the digit decoded
 * under the pointer, and a strip of digits along the line between two clicks.
 *
 * The math (reading the files, `decode`) has no browser dependency: node
 * loads this file with `require` and the golden test compares its `decode`
 * with Keras's (tests/test_export_web.py, tests/explorer_golden.mjs).
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.VaeExplorer = api;
    api.start();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var FORMAT = "vae-keras-explorer";
  var STEPS = 10; // digits in the interpolation strip, both ends included
  // Matplotlib's tab10, the colours of the package's scatter figures.
  var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  // --- The math: no DOM below until `start` -------------------------------

  function checkManifest(manifest) {
    if (!manifest || manifest.format !== FORMAT || manifest.version !== 1) {
      throw new Error("not a vae-keras explorer manifest (version 1)");
    }
    if (manifest.latent_dim !== 2) {
      throw new Error("the explorer needs a 2-D latent space");
    }
  }

  function floats(view, offset, count) {
    // DataView reads little-endian whatever the machine's byte order.
    var out = new Float32Array(count);
    for (var i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    return out;
  }

  /** The decoder's layers from the manifest and the bytes of decoder.bin. */
  function parseDecoder(manifest, buffer) {
    checkManifest(manifest);
    if (buffer.byteLength !== manifest.decoder.bytes) {
      throw new Error("decoder.bin has " + buffer.byteLength + " bytes, the manifest says " +
        manifest.decoder.bytes);
    }
    var view = new DataView(buffer);
    var inputs = manifest.latent_dim;
    var layers = manifest.decoder.layers.map(function (entry) {
      var k = entry.kernel.shape, b = entry.bias.shape;
      if (k[0] !== inputs || k[1] !== entry.units || b[0] !== entry.units) {
        throw new Error("layer " + entry.name + " has inconsistent shapes");
      }
      inputs = entry.units;
      return {
        name: entry.name, activation: entry.activation, inputs: k[0], units: k[1],
        kernel: floats(view, entry.kernel.offset, k[0] * k[1]),
        bias: floats(view, entry.bias.offset, b[0]),
      };
    });
    var shape = manifest.image_shape;
    if (inputs !== shape[0] * shape[1] * shape[2]) {
      throw new Error("the decoder's output does not match the image shape");
    }
    return { layers: layers, imageShape: shape };
  }

  function activate(name, x) {
    if (name === "relu") return x > 0 ? x : 0;
    if (name === "sigmoid") return 1 / (1 + Math.exp(-x));
    if (name === "linear") return x;
    throw new Error("unknown activation " + name);
  }

  /** Pixel probabilities (row-major, Float64Array) of the latent code `z` = [z0, z1]. */
  function decode(decoder, z) {
    var h = Float64Array.from(z);
    decoder.layers.forEach(function (layer) {
      var out = new Float64Array(layer.units);
      out.set(layer.bias);
      var kernel = layer.kernel, units = layer.units;
      for (var i = 0; i < layer.inputs; i++) {
        var x = h[i];
        if (x === 0) continue; // after a ReLU, most inputs are 0
        var row = i * units;
        for (var j = 0; j < units; j++) out[j] += x * kernel[row + j];
      }
      for (var j2 = 0; j2 < units; j2++) out[j2] = activate(layer.activation, out[j2]);
      h = out;
    });
    return h;
  }

  /** The test codes `{means: Float32Array (n*2), labels: Uint8Array, count}` of points.bin. */
  function parsePoints(manifest, buffer) {
    checkManifest(manifest);
    var p = manifest.points;
    if (buffer.byteLength !== p.bytes) {
      throw new Error("points.bin has " + buffer.byteLength + " bytes, the manifest says " + p.bytes);
    }
    var view = new DataView(buffer);
    return {
      count: p.count,
      means: floats(view, p.means.offset, 2 * p.count),
      labels: new Uint8Array(buffer.slice(p.labels.offset, p.labels.offset + p.count)),
    };
  }

  /** Resolves to the hex SHA-256 of `buffer`, or null where Web Crypto is unavailable. */
  function sha256(buffer) {
    var subtle = typeof crypto !== "undefined" && crypto.subtle;
    if (!subtle) return Promise.resolve(null); // e.g. plain http on another host
    return subtle.digest("SHA-256", buffer).then(function (digest) {
      return Array.from(new Uint8Array(digest), function (b) {
        return b.toString(16).padStart(2, "0");
      }).join("");
    });
  }

  /** Checks a file's bytes against the manifest's checksum; rejects on a mismatch. */
  function verify(buffer, part) {
    return sha256(buffer).then(function (hex) {
      if (hex !== null && hex !== part.sha256) {
        throw new Error(part.file + " does not match its checksum: reload the page");
      }
      return buffer;
    });
  }

  /** Points on the segment from a to b, both ends included. */
  function interpolate(a, b, steps) {
    var out = [];
    for (var i = 0; i < steps; i++) {
      var t = i / (steps - 1);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
    return out;
  }

  // --- The page ------------------------------------------------------------

  var scriptUrl = typeof document !== "undefined" && document.currentScript
    ? document.currentScript.src : null;

  function element(tag, className, parent, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function load(base) {
    function get(name) {
      return fetch(new URL(name, base)).then(function (r) {
        if (!r.ok) throw new Error("could not load " + name + " (HTTP " + r.status + ")");
        return name.endsWith(".json") ? r.json() : r.arrayBuffer();
      });
    }
    return get("manifest.json").then(function (manifest) {
      checkManifest(manifest);
      return Promise.all([
        get(manifest.decoder.file).then(function (b) { return verify(b, manifest.decoder); }),
        get(manifest.points.file).then(function (b) { return verify(b, manifest.points); }),
      ]).then(function (buffers) {
        return {
          manifest: manifest,
          decoder: parseDecoder(manifest, buffers[0]),
          points: parsePoints(manifest, buffers[1]),
        };
      });
    });
  }

  function drawDigit(canvas, pixels, shape) {
    var ctx = canvas.getContext("2d");
    var image = ctx.createImageData(shape[1], shape[0]);
    for (var i = 0; i < pixels.length; i++) {
      var v = Math.round(255 * pixels[i]); // white digit on black, like the figures
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  function digitCanvas(parent, shape, className) {
    var c = element("canvas", className, parent);
    c.width = shape[1];
    c.height = shape[0];
    return c;
  }

  function summary(manifest) {
    var run = manifest.run || {}, m = manifest.metrics || {};
    var parts = [];
    var data = run.dataset_used || run.dataset || "?";
    parts.push((data === "mnist" ? "Full MNIST" : data) +
      (run.train_size ? " (" + run.train_size.toLocaleString("en") + " training images)" : ""));
    if (run.backend) parts.push(run.backend + " backend");
    if (m.epochs || run.epochs) parts.push((m.epochs || run.epochs) + " epochs");
    var widths = manifest.decoder.layers.map(function (l) { return l.units; });
    parts.push("decoder 2-" + widths.join("-"));
    var text = parts.join(", ") + ".";
    if (typeof m.test_neg_elbo === "number") {
      text += " Test −ELBO " + m.test_neg_elbo.toFixed(1) + " nats";
      if (typeof m.test_reconstruction_loss === "number" && typeof m.test_kl_loss === "number") {
        text += " (reconstruction " + m.test_reconstruction_loss.toFixed(1) + " + KL " +
          m.test_kl_loss.toFixed(1) + ")";
      }
      text += ".";
    }
    if (typeof m.test_log_likelihood === "number") {
      text += " IWAE bound on log p(x): " + m.test_log_likelihood.toFixed(1) + " nats (k = " +
        m.iwae_k + ").";
    }
    return text + " " + manifest.points.count.toLocaleString("en") +
      " test codes (posterior means) drawn.";
  }

  function Explorer(root, data) {
    this.root = root;
    this.data = data;
    this.extent = data.manifest.points.extent || 3;
    this.shape = data.manifest.image_shape;
    this.mode = "follow";
    this.z = [0, 0];
    this.ends = [];
    this.build();
    this.show(this.z);
  }

  Explorer.prototype.build = function () {
    var self = this, root = this.root;
    root.textContent = "";
    var bar = element("div", "vae-explorer__modes", root);
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Mode");
    this.buttons = {};
    [["follow", "Decode under the pointer"], ["interpolate", "Interpolate: click two points"]]
      .forEach(function (m) {
        var b = element("button", "md-button", bar, m[1]);
        b.type = "button";
        b.addEventListener("click", function () { self.setMode(m[0]); });
        self.buttons[m[0]] = b;
      });
    var panes = element("div", "vae-explorer__panes", root);
    this.plane = element("canvas", "vae-explorer__plane", panes);
    this.plane.tabIndex = 0;
    this.plane.setAttribute("role", "img");
    this.plane.setAttribute("aria-label", "The latent plane: test codes coloured by digit. " +
      "Move the pointer, or use the arrow keys, to decode a code.");
    var side = element("div", "vae-explorer__side", panes);
    this.digit = digitCanvas(side, this.shape, "vae-explorer__digit");
    this.readout = element("p", "vae-explorer__readout", side);
    var legend = element("ul", "vae-explorer__legend", side);
    if (this.data.manifest.points.labelled) {
      COLOURS.forEach(function (c, d) {
        var li = element("li", null, legend);
        element("span", "vae-explorer__swatch", li).style.background = c;
        li.appendChild(document.createTextNode(String(d)));
      });
    }
    this.strip = element("div", "vae-explorer__strip", root);
    this.hint = element("p", "vae-explorer__hint", root);
    element("p", "vae-explorer__run", root, summary(this.data.manifest));
    this.setMode("follow");

    var pending = null;
    function at(event) {
      var r = self.plane.getBoundingClientRect();
      var e = self.extent;
      return [((event.clientX - r.left) / r.width * 2 - 1) * e,
        (1 - (event.clientY - r.top) / r.height * 2) * e];
    }
    function follow(event) {
      pending = at(event);
      requestAnimationFrame(function () {
        if (pending) self.show(pending);
        pending = null;
      });
    }
    this.plane.addEventListener("pointermove", follow);
    this.plane.addEventListener("pointerdown", function (event) {
      var z = at(event);
      self.show(z);
      if (self.mode === "interpolate") self.addEnd(z);
    });
    this.plane.addEventListener("keydown", function (event) {
      var step = self.extent / 40, d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0],
        ArrowUp: [0, step], ArrowDown: [0, -step] }[event.key];
      if (d) {
        event.preventDefault();
        self.show([self.z[0] + d[0], self.z[1] + d[1]]);
      } else if (event.key === "Enter" && self.mode === "interpolate") {
        self.addEnd(self.z.slice());
      }
    });
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () { self.drawPlane(); }).observe(this.plane);
    }
    // Redraw in the new colours when the reader switches between light and dark.
    new MutationObserver(function () { self.drawPlane(); })
      .observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  };

  Explorer.prototype.setMode = function (mode) {
    this.mode = mode;
    this.ends = [];
    this.strip.textContent = "";
    for (var m in this.buttons) {
      this.buttons[m].setAttribute("aria-pressed", String(m === mode));
      this.buttons[m].classList.toggle("md-button--primary", m === mode);
    }
    this.hint.textContent = mode === "follow"
      ? "Move the pointer (or drag a finger) over the plane: the digit beside it is decoded " +
        "from the code under the pointer."
      : "Click (or tap) two points: the strip shows the digits decoded at " + STEPS +
        " evenly spaced codes on the straight line between them.";
    this.drawPlane();
  };

  Explorer.prototype.addEnd = function (z) {
    if (this.ends.length === 2) this.ends = [];
    this.ends.push(z);
    this.strip.textContent = "";
    if (this.ends.length === 2) {
      var self = this;
      interpolate(this.ends[0], this.ends[1], STEPS).forEach(function (code) {
        var c = digitCanvas(self.strip, self.shape, "vae-explorer__step");
        c.title = "z = (" + code[0].toFixed(2) + ", " + code[1].toFixed(2) + ")";
        drawDigit(c, decode(self.data.decoder, code), self.shape);
      });
    }
    this.drawPlane();
  };

  Explorer.prototype.show = function (z) {
    var e = this.extent;
    this.z = [Math.max(-e, Math.min(e, z[0])), Math.max(-e, Math.min(e, z[1]))];
    drawDigit(this.digit, decode(this.data.decoder, this.z), this.shape);
    this.readout.textContent = "z = (" + this.z[0].toFixed(2) + ", " + this.z[1].toFixed(2) + ")";
    this.root.dataset.z = this.z[0] + "," + this.z[1];
    this.drawPlane();
  };

  Explorer.prototype.drawPlane = function () {
    var canvas = this.plane, rect = canvas.getBoundingClientRect();
    if (!rect.width) return;
    var ratio = window.devicePixelRatio || 1;
    var size = Math.round(rect.width * ratio);
    if (canvas.width !== size) canvas.width = canvas.height = size;
    var ctx = canvas.getContext("2d"), e = this.extent;
    var style = getComputedStyle(this.root);
    var fg = style.getPropertyValue("--md-default-fg-color").trim() || "#000";
    var faint = style.getPropertyValue("--md-default-fg-color--light").trim() || "#777";
    var font = Math.round(11 * ratio) + "px sans-serif";
    function px(z) { return [(z[0] / e + 1) / 2 * size, (1 - z[1] / e) / 2 * size]; }
    ctx.clearRect(0, 0, size, size);
    // The prior N(0, I): circles of radius 1 and 2 around the origin, and the axes.
    ctx.strokeStyle = faint;
    ctx.lineWidth = ratio;
    ctx.setLineDash([4 * ratio, 4 * ratio]);
    [1, 2].forEach(function (r) {
      ctx.beginPath();
      ctx.arc(size / 2, size / 2, r / e * size / 2, 0, 2 * Math.PI);
      ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2);
    ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size);
    ctx.stroke();
    ctx.fillStyle = faint;
    ctx.font = font;
    for (var t = -Math.floor(e); t <= Math.floor(e); t++) {
      if (t === 0) continue;
      var p = px([t, 0]), q = px([0, t]);
      ctx.fillText(String(t), p[0] + 2 * ratio, size / 2 - 3 * ratio);
      ctx.fillText(String(t), size / 2 + 3 * ratio, q[1] - 2 * ratio);
    }
    ctx.fillText("z[0]", size - 28 * ratio, size / 2 + 13 * ratio);
    ctx.fillText("z[1]", size / 2 - 26 * ratio, 12 * ratio);
    // The test codes.
    var pts = this.data.points, radius = Math.max(1.2, size / 320);
    ctx.globalAlpha = 0.55;
    for (var i = 0; i < pts.count; i++) {
      var c = px([pts.means[2 * i], pts.means[2 * i + 1]]);
      ctx.fillStyle = COLOURS[pts.labels[i]] || fg;
      ctx.fillRect(c[0] - radius, c[1] - radius, 2 * radius, 2 * radius);
    }
    ctx.globalAlpha = 1;
    // The interpolation segment, then the current code.
    ctx.strokeStyle = fg;
    ctx.fillStyle = fg;
    ctx.lineWidth = 2 * ratio;
    if (this.ends.length === 2) {
      var a = px(this.ends[0]), b = px(this.ends[1]);
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
    }
    this.ends.forEach(function (end, k) {
      var s = px(end);
      ctx.beginPath(); ctx.arc(s[0], s[1], 4 * ratio, 0, 2 * Math.PI); ctx.fill();
      ctx.fillText(k ? "B" : "A", s[0] + 6 * ratio, s[1] - 6 * ratio);
    });
    var m = px(this.z);
    ctx.beginPath(); ctx.arc(m[0], m[1], 7 * ratio, 0, 2 * Math.PI); ctx.stroke();
  };

  function start() {
    if (typeof document === "undefined") return;
    var base = scriptUrl ? new URL("../explorer/", scriptUrl) : new URL("assets/explorer/",
      document.baseURI);
    var cached = null;
    function init() {
      var roots = document.querySelectorAll(".vae-explorer:not([data-state])");
      if (!roots.length) return;
      roots.forEach(function (root) {
        root.dataset.state = "loading";
        root.textContent = "Loading the decoder…";
      });
      cached = cached || load(base);
      cached.then(function (data) {
        roots.forEach(function (root) {
          new Explorer(root, data);
          root.dataset.state = "ready";
        });
      }, function (error) {
        cached = null;
        roots.forEach(function (root) {
          root.dataset.state = "error";
          root.textContent = "The explorer could not start: " + error.message +
            (location.protocol === "file:" ? " (open the site through a web server, e.g. " +
              "python -m http.server in the built site's folder)" : "");
        });
      });
    }
    // mkdocs-material announces every page (also with instant navigation) on document$.
    if (typeof document$ !== "undefined" && document$.subscribe) {
      document$.subscribe(init);
    } else if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  }

  return {
    parseDecoder: parseDecoder, parsePoints: parsePoints, decode: decode,
    interpolate: interpolate, sha256: sha256, verify: verify, start: start,
  };
});
