// Behaviour that templates ask for with data attributes. The Content-Security-Policy allows
// scripts only from our static files (no inline script, no onclick=, no eval), and htmx runs
// with allowEval false, so hx-on is not available: such code lives here instead.
// Tabler's bundle (vendor/tabler/js/tabler.min.js) provides Bootstrap's components as tabler.bootstrap.
"use strict";

(function () {
  function bootstrapKit() {
    return window.tabler && window.tabler.bootstrap ? window.tabler.bootstrap : window.bootstrap;
  }

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

  // Messages (Django's) are shown as toasts: the kit hides the successful ones after a while,
  // errors stay until closed.
  function showToasts(root) {
    var kit = bootstrapKit();
    if (!kit) {
      return;
    }
    (root || document).querySelectorAll(".gj-toast").forEach(function (element) {
      kit.Toast.getOrCreateInstance(element).show();
    });
  }

  // Confirmation: <form data-confirm="挂失钥匙 K-002？"> or a submit button with data-confirm
  // opens the one dialog of the layout, naming the thing; only "确认" submits. Without
  // JavaScript the form submits directly (the server checks everything anyway).
  var confirmed = null;
  function askFirst(event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var text = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (!text || confirmed === form) {
      confirmed = null;
      return true;
    }
    var dialog = document.getElementById("gj-confirm");
    var kit = bootstrapKit();
    if (!dialog || !kit) {
      return window.confirm(text) || (event.preventDefault(), false);
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    dialog.querySelector("[data-confirm-text]").textContent = text;
    var ok = dialog.querySelector("[data-confirm-ok]");
    var modal = kit.Modal.getOrCreateInstance(dialog);
    var fresh = ok.cloneNode(true);
    ok.parentNode.replaceChild(fresh, ok);
    fresh.addEventListener("click", function () {
      modal.hide();
      confirmed = form;
      if (form.requestSubmit) {
        form.requestSubmit(submitter || undefined);
      } else {
        form.submit();
      }
    });
    modal.show();
    return false;
  }

  // No double submit: once a form is on its way, its buttons are disabled (after the browser
  // has read the pressed button's name and value) until the answer comes (htmx) or the page is
  // shown again (the back button).
  function holdButtons(form) {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.classList.add("gj-held");
      });
    }, 0);
  }
  function releaseButtons(root) {
    (root || document).querySelectorAll(".gj-held").forEach(function (button) {
      button.disabled = false;
      button.classList.remove("gj-held");
    });
  }

  document.addEventListener(
    "submit",
    function (event) {
      if (askFirst(event) === false || event.defaultPrevented) {
        return;
      }
      var form = event.target;
      if ((form.getAttribute("method") || "").toLowerCase() === "post" && !form.hasAttribute("data-allow-resubmit")) {
        holdButtons(form);
      }
    },
    true
  );
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail && event.detail.elt;
    releaseButtons(element && element.closest ? element.closest("form") || element : document);
  });
  window.addEventListener("pageshow", function () {
    releaseButtons(document);
  });

  // Charts: <div class="gj-chart" data-chart='{"kind": "line", "labels": [...], "series":
  // [{"name": "收缴率", "values": [...]}], "target": 95, "unit": "%"}'>. The page always shows
  // the same numbers in a table beside it (ux.md); the chart is the picture of them.
  function drawCharts(root) {
    if (!window.echarts) {
      return;
    }
    (root || document).querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.dataset.chartDrawn) {
        return;
      }
      var spec;
      try {
        spec = JSON.parse(element.dataset.chart);
      } catch (error) {
        return;
      }
      element.dataset.chartDrawn = "1";
      var spark = element.classList.contains("gj-spark");
      var unit = spec.unit || "";
      var series = (spec.series || []).map(function (each, index) {
        var item = {
          name: each.name,
          type: spec.kind === "bar" ? "bar" : "line",
          data: each.values,
          smooth: true,
          showSymbol: !spark,
          areaStyle: spark ? { opacity: 0.12 } : undefined,
          stack: spec.stack ? "total" : undefined
        };
        if (index === 0 && spec.target !== undefined && spec.target !== null) {
          item.markLine = {
            silent: true,
            symbol: "none",
            label: { show: !spark, formatter: (spec.targetLabel || "") + spec.target + unit },
            lineStyle: { type: "dashed", color: "#d63939" },
            data: [{ yAxis: spec.target }]
          };
        }
        return item;
      });
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        grid: spark ? { left: 0, right: 0, top: 4, bottom: 0 } : { left: 48, right: 16, top: 32, bottom: 32 },
        tooltip: {
          trigger: "axis",
          valueFormatter: function (value) {
            return value === null || value === undefined ? "—" : value + unit;
          }
        },
        legend: spark || series.length < 2 ? { show: false } : { top: 0 },
        xAxis: { type: "category", data: spec.labels || [], show: !spark, boundaryGap: spec.kind === "bar" },
        yAxis: { type: "value", show: !spark, min: spec.min, max: spec.max, axisLabel: { formatter: "{value}" + unit } },
        color: ["#1d6fb8", "#f59f00", "#2f9e44", "#d63939", "#ae3ec9"],
        series: series
      });
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  function ready() {
    showToasts(document);
    drawCharts(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    showToasts(event.target);
    drawCharts(event.target);
  });
})();
