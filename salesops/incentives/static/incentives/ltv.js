/* LTV leaderboard chart: total and average LTV of the top 20 visible reps (grouped bars,
 * money in yuan). Data comes from a json_script block (CSP: no inline script); runs
 * after the deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    window.SalesOps.drawChart("ltv-chart", "ltv-chart-data", function (data) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: data.series.map(function (s) { return s.name; }), bottom: 0 },
        grid: { left: 80, right: 20, top: 30, bottom: 80 },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value", name: "¥" },
        series: data.series.map(function (s) {
          return { name: s.name, type: "bar", data: s.data.map(Number) };
        }),
      };
    });
  });
})();
