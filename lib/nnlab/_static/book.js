/* The nnlab course book, in the browser:
 * - an image a widget draws gets the alt text the build wrote beside the
 *   widget (data-nnlab-alt), since the widget manager writes alt="";
 * - a box that scrolls sideways (a wide table, a long output line) is
 *   marked nnlab-overflows, which book.css turns into a visible cue. */
(function () {
  "use strict";

  function giveAlt() {
    document.querySelectorAll("[data-nnlab-alt]").forEach(function (box) {
      box.querySelectorAll("img").forEach(function (img) {
        if (!img.getAttribute("alt")) {
          img.setAttribute("alt", box.getAttribute("data-nnlab-alt"));
        }
      });
    });
  }

  var SCROLLERS = ".nnlab-scroll, .jp-OutputArea-output, .jp-InputArea-editor";

  function markOverflow() {
    document.querySelectorAll(SCROLLERS).forEach(function (el) {
      var style = window.getComputedStyle(el);
      var scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
      var over = scrolls && el.scrollWidth > el.clientWidth + 1;
      var atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - 1;
      el.classList.toggle("nnlab-overflows", over);
      el.classList.toggle("nnlab-more-right", over && !atEnd);
    });
  }

  var pending = false;
  function update() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      giveAlt();
      markOverflow();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // On a phone the book's contents start folded: one line, not a screen.
    if (window.matchMedia("(max-width: 700px)").matches) {
      document.querySelectorAll(".nnlab-toc details").forEach(function (d) {
        d.open = false;
      });
    }
    update();
    new MutationObserver(update).observe(document.body, {
      childList: true,
      subtree: true,
    });
    window.addEventListener("resize", update);
    // Scroll events of the boxes themselves do not bubble: capture them.
    document.addEventListener("scroll", update, true);
    window.addEventListener("load", update);
  });
})();
