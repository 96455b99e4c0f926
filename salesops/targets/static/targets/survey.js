/* The consensus survey's chart: mean estimate of the team target by level, per team.
 * Data comes from a json_script block (CSP: no inline script). Runs after the deferred
 * echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    window.SalesOps.drawChart("survey-chart", "survey-chart-data", function (data) {
      const levels = Object.keys(data.series);
      return {
      color: ["#206bc4", "#f76707", "#2fb344"],
      tooltip: { trigger: "axis" },
      legend: { data: levels.map(function (l) { return data.names[l]; }), bottom: 0 },
      grid: { left: 80, right: 10, top: 10, bottom: 50 },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value" },
      series: levels.map(function (l) {
        return { name: data.names[l], type: "bar", data: data.series[l] };
      }),
      };
    });
  });
})();
