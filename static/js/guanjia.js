// Behaviour that templates ask for with data attributes. The Content-Security-Policy allows
// scripts only from our static files (no inline script, no onclick=, no eval), and htmx runs
// with allowEval false, so hx-on is not available: such code lives here instead.
"use strict";

// <form data-clear-after-request="field">: after each htmx request of the form, empty that
// field and put the cursor back in it (the bulk check-in scanner: one Enter, one parcel;
// the other fields stay for the next scan).
document.addEventListener("htmx:afterRequest", function (event) {
  var element = event.detail && event.detail.elt;
  var form = element && element.closest ? element.closest("[data-clear-after-request]") : null;
  if (!form) {
    return;
  }
  var field = form.elements.namedItem(form.dataset.clearAfterRequest);
  if (field) {
    field.value = "";
    field.focus();
  }
});
