/* MathJax 2 configuration for offline handouts.
 * jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only, so the
 * usual TeX-AMS_CHTML config (TeX fonts) cannot load. SVG output draws glyphs
 * from JavaScript font data: no web-font files, which Chromium may refuse to
 * load across file:// origins. */
MathJax.Hub.Config({
  jax: ["input/TeX", "output/SVG"],
  extensions: ["tex2jax.js", "MathMenu.js", "MathZoom.js"],
  TeX: {extensions: ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"]},
  SVG: {font: "STIX-Web", linebreaks: {automatic: true}},
  menuSettings: {renderer: "SVG"},
  messageStyle: "none"
});
MathJax.Ajax.loadComplete("[MathJax]/config/nnlab.js");
