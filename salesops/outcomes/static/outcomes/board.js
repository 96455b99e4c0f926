/* The outcome board's trend lines: one small ECharts line per metric card, from the
 * json_script block "outcome-chart-data" ({code: {weeks, values, name}}). CSP: no inline
 * script; runs after the deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const all = window.SalesOps.readJson("outcome-chart-data") || {};
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const data = all[el.dataset.chart];
      if (!data || !window.echarts) return;
      const chart = window.echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 10, top: 10, bottom: 20 },
        xAxis: { type: "category", data: data.weeks, axisLabel: { show: false } },
        yAxis: { type: "value", splitNumber: 2 },
        series: [{ name: data.name, type: "line", data: data.values, connectNulls: true, symbolSize: 4 }],
      });
      el.dataset.rendered = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
