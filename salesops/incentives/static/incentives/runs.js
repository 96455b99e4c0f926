/* Bonus run detail: the amount written per kind of line (bars). Data comes from a
 * json_script block (CSP: no inline script); runs after the deferred echarts.min.js. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    window.SalesOps.drawChart("incentives-run-chart", "incentives-run-chart-data", function (data) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 70, right: 20, top: 30, bottom: 60 },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 15 } },
        yAxis: { type: "value", name: data.axis },
        series: [{ type: "bar", data: data.values.map(Number) }],
      };
    });
  });
})();
