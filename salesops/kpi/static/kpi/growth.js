/* KPI growth pages (K6–K8), loaded as a file (CSP: no inline script).
 * - the customer-voice chart: mentions by service action and by radar dimension;
 * - "Copy" buttons next to a survey link (data-copy = the id of the input to copy);
 * - the public survey form (data-pick="3"): once 3 boxes are ticked the others are
 *   disabled, so a customer cannot pick more (the server checks it anyway). */
(function () {
  "use strict";

  function chart() {
    if (!document.getElementById("voice-chart") || !window.SalesOps) return;
    window.SalesOps.drawChart("voice-chart", "voice-chart-data", function (data) {
      return {
        color: ["#206bc4", "#2fb344"],
        tooltip: { trigger: "item" },
        grid: [
          { left: 140, right: 20, top: 10, height: "40%" },
          { left: 140, right: 20, bottom: 20, height: "35%" }
        ],
        xAxis: [{ type: "value", gridIndex: 0, minInterval: 1 }, { type: "value", gridIndex: 1, minInterval: 1 }],
        yAxis: [
          { type: "category", gridIndex: 0, data: data.actions, inverse: true },
          { type: "category", gridIndex: 1, data: data.dimensions, inverse: true }
        ],
        series: [
          { name: data.names.actions, type: "bar", xAxisIndex: 0, yAxisIndex: 0, data: data.action_counts },
          { name: data.names.dimensions, type: "bar", xAxisIndex: 1, yAxisIndex: 1, data: data.dimension_counts }
        ]
      };
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        const input = document.getElementById(button.getAttribute("data-copy"));
        if (!input) return;
        input.select();
        const done = function () { button.textContent = button.getAttribute("data-copied") || "✓"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function pickLimit() {
    document.querySelectorAll("form[data-pick]").forEach(function (form) {
      const limit = parseInt(form.getAttribute("data-pick"), 10);
      const boxes = Array.from(form.querySelectorAll("input[type=checkbox][name=actions]"));
      function update() {
        const picked = boxes.filter(function (b) { return b.checked; }).length;
        boxes.forEach(function (b) { b.disabled = !b.checked && picked >= limit; });
      }
      boxes.forEach(function (b) { b.addEventListener("change", update); });
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    chart();
    copyButtons();
    pickLimit();
  });
})();
