// The cashier (templates/billing/cashier.html): ticking bills fills the amount with what the
// ticked bills owe, summed in fen so that 0.1 + 0.2 stays 0.30. A served file, not an inline
// script: the Content-Security-Policy allows no inline code.
"use strict";

(function () {
  function fen(text) {
    var match = /^(\d+)(?:\.(\d{1,2}))?$/.exec((text || "").trim());
    if (!match) {
      return 0;
    }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function yuan(cents) {
    var rest = String(cents % 100);
    return Math.floor(cents / 100) + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function refresh(form) {
    var amount = form.querySelector("[data-cashier-amount]");
    if (!amount) {
      return;
    }
    var ticked = form.querySelectorAll("input[data-bill-owed]:checked");
    var total = 0;
    ticked.forEach(function (box) {
      total += fen(box.dataset.billOwed);
    });
    var shown = form.querySelector("[data-cashier-ticked]");
    if (ticked.length) {
      amount.value = yuan(total);
      amount.dataset.filled = "1";
    } else if (amount.dataset.filled) {
      // Nothing ticked any more: empty what we filled, not what the cashier typed.
      amount.value = "";
      delete amount.dataset.filled;
    }
    if (shown) {
      shown.textContent = ticked.length ? "¥" + yuan(total).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : "";
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches("input[data-bill-owed]")) {
      refresh(box.closest("form"));
    }
  });
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("[data-cashier-amount]")) {
      delete field.dataset.filled; // typed by hand: keep it
    }
  });
})();
