/* The consensus survey's chart: mean estimate of the team target by level, per team.
 * Data comes from a json_script block (CSP: no inline script). Runs after the deferred
 * echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("survey-chart");
    const node = document.getElementById("survey-chart-data");
    if (!el || !node || !window.echarts) return;
    const data = JSON.parse(node.textContent);
    const levels = Object.keys(data.series);
    const chart = window.echarts.init(el);
    chart.setOption({
      color: ["#206bc4", "#f76707", "#2fb344"],
      tooltip: { trigger: "axis" },
      legend: { data: levels.map(function (l) { return data.names[l]; }), bottom: 0 },
      grid: { left: 80, right: 10, top: 10, bottom: 50 },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value" },
      series: levels.map(function (l) {
        return { name: data.names[l], type: "bar", data: data.series[l] };
      }),
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
