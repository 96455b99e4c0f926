/* SalesOps page behaviour that used to live in inline handlers (CSP: script-src 'self').
 *
 * Loaded on every page (deferred, before Alpine). Markup opts in with data attributes:
 *   data-autosubmit        a select/input whose change submits its form (filters, language)
 *   data-confirm="text"    a form (on submit) or button (on click) that asks first
 *   data-width="42"        an element whose CSS width is that percentage (progress bars;
 *                          set through the CSSOM, so no style="" attribute is needed)
 *   data-move="up|down"    a button moving its table row (form layout editor)
 * and the Alpine components shared by several pages are registered here.
 *
 * SalesOps.readJson(id) and SalesOps.drawChart(id, dataId, optionFor) are the ECharts
 * bootstrap of every chart page: the chart's data comes from a json_script block (data,
 * not code), echarts.min.js is loaded deferred by the page, and the page's own script
 * draws on DOMContentLoaded (after the deferred scripts, this one included).
 */
(function () {
  "use strict";

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Draws ``optionFor(data, el)`` into #id from the JSON in #dataId; marks the element
  // data-rendered="1" (the browser tests wait for it) and follows window resizes.
  function drawChart(id, dataId, optionFor) {
    const el = document.getElementById(id);
    const data = readJson(dataId);
    if (!el || data === null || !window.echarts) return null;
    const chart = window.echarts.init(el);
    chart.setOption(optionFor(data, el));
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  window.SalesOps = Object.assign(window.SalesOps || {}, { readJson: readJson, drawChart: drawChart });

  document.addEventListener("change", function (event) {
    const el = event.target;
    if (!(el instanceof Element) || !el.hasAttribute("data-autosubmit") || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit();
    else el.form.submit();
  });

  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }
    },
    true,
  );

  document.addEventListener(
    "click",
    function (event) {
      const button = event.target instanceof Element ? event.target.closest("button[data-confirm]") : null;
      if (button && !window.confirm(button.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // Up/down buttons move a row; the hidden inputs in the rows then post in the new order.
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-move]") : null;
    if (!button) return;
    const row = button.closest("tr");
    if (!row) return;
    if (button.dataset.move === "up" && row.previousElementSibling) row.previousElementSibling.before(row);
    if (button.dataset.move === "down" && row.nextElementSibling) row.nextElementSibling.after(row);
    button.focus();
    row.dispatchEvent(new Event("moved", { bubbles: true }));
  });

  function applyWidths(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const nodes = Array.from(scope.querySelectorAll("[data-width]"));
    if (scope instanceof Element && scope.hasAttribute("data-width")) nodes.push(scope);
    for (const el of nodes) {
      const value = parseFloat(el.getAttribute("data-width"));
      if (!Number.isNaN(value)) el.style.width = Math.max(0, Math.min(100, value)) + "%";
    }
  }
  document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  // Content swapped in by htmx may bring its own bars.
  document.addEventListener("htmx:load", function (event) { applyWidths(event.target); });

  document.addEventListener("alpine:init", function () {
    const Alpine = window.Alpine;

    // A "Copy" button for the text of an x-ref'd element: x-data="copyable('snippet')".
    Alpine.data("copyable", function (ref) {
      return {
        copied: false,
        timer: null,
        copy() {
          const el = this.$refs[ref];
          if (el && navigator.clipboard) navigator.clipboard.writeText(el.innerText).catch(function () {});
          this.copied = true;
          clearTimeout(this.timer);
          this.timer = setTimeout(() => { this.copied = false; }, 2000);
        },
      };
    });
  });
})();
