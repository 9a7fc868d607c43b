// Typesets the math that pymdownx.arithmatex (generic mode) leaves in
// elements of class "arithmatex", on first load and after every instant-
// navigation page change (mkdocs-material's document$ observable).
function renderMath(root) {
  root.querySelectorAll(".arithmatex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
    });
  });
}

if (typeof document$ !== "undefined") {
  document$.subscribe(function ({ body }) { renderMath(body); });
} else {
  document.addEventListener("DOMContentLoaded", function () { renderMath(document.body); });
}
