// A table wider than the screen scrolls sideways inside its box (.table-responsive, or a bare
// table on a phone): someone using the keyboard must be able to reach that box to scroll it
// (WCAG 2.1.1). A box that scrolls and holds nothing focusable is made focusable itself, and
// stops being so when it no longer scrolls (the window grew).
(() => {
  "use strict";
  const BOXES = ".table-responsive, main table:not(.table)";
  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  function mark() {
    for (const box of document.querySelectorAll(BOXES)) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      const ours = box.dataset.scrollRegion === "1";
      if (scrolls && !ours && !box.querySelector(FOCUSABLE)) {
        box.tabIndex = 0;
        box.dataset.scrollRegion = "1";
      } else if (!scrolls && ours) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollRegion;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
