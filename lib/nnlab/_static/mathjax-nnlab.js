/* MathJax 2 settings for offline handouts, loaded after the combined
 * TeX-AMS-MML_HTMLorMML-full configuration (input and HTML-CSS output in one
 * file). jupyter-server-mathjax ships the STIX-Web fonts only, so MathJax
 * must not look for its default TeX fonts, and has no image fonts to fall
 * back on. */
MathJax.Hub.Config({
  "HTML-CSS": {
    availableFonts: ["STIX-Web"],
    preferredFont: "STIX-Web",
    webFont: "STIX-Web",
    imageFont: null,
    linebreaks: {automatic: true},
    // MathJax measures text against a blank web font loaded from about:blank,
    // which Chromium refuses (and logs) on a file:// page; a local() source
    // that matches no installed font is just as blank and makes no request.
    styles: {
      "@font-face": {"font-family": "MathJax_Blank", src: "local('nnlab-no-such-font')"}
    }
  },
  // The hidden MathML that the AssistiveMML extension adds for screen readers
  // is styled with TeX web fonts (MathJax_AMS, MathJax_Script) that
  // jupyter-server-mathjax does not ship, so \mathbb or \mathcal would
  // request missing files. Screen readers lose that hidden copy; the math
  // itself still typesets from the STIX-Web fonts.
  menuSettings: {assistiveMML: false},
  messageStyle: "none"
});
MathJax.Ajax.loadComplete("[MathJax]/config/nnlab.js");
