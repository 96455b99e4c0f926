/* Payout statement: the payable of the last 6 months as a bar chart. Data comes from a
 * json_script block (CSP: no inline script); runs after the deferred echarts.min.js. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    window.SalesOps.drawChart("statement-chart", "statement-chart-data", function (data) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 60, right: 10, top: 10, bottom: 30 },
        xAxis: { type: "category", data: data.months },
        yAxis: { type: "value" },
        series: [{
          name: data.label,
          type: "bar",
          data: data.payable.map(Number),
          itemStyle: { color: "#206bc4" },
        }],
      };
    });
  });
})();
