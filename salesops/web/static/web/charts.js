/* The ECharts charts of the dashboard and the account 360 page. Each chart is a
 * <div id="…-chart"> whose data comes from a json_script block (CSP: no inline script);
 * labels that need translating come as data-* attributes on the chart element.
 * Runs after the deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  function draw(id, dataId, optionFor) {
    window.SalesOps.drawChart(id, dataId, optionFor);
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw("province-chart", "province-data", function (data) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 10, top: 10, bottom: 60 },
        xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 45 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: data.values, itemStyle: { color: "#206bc4" } }],
      };
    });
    draw("channel-chart", "channel-data", function (data) {
      return {
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["40%", "70%"], data: data }],
      };
    });
    draw("nps-chart", "nps-data", function (data, el) {
      const average = el.dataset.averageLabel || "Average score";
      return {
        tooltip: { trigger: "axis" },
        legend: { data: ["NPS", average], bottom: 0 },
        grid: { left: 40, right: 40, top: 10, bottom: 50 },
        xAxis: { type: "category", data: data.months },
        yAxis: [{ type: "value", min: -100, max: 100 }, { type: "value", min: 0, max: 10 }],
        series: [
          { name: "NPS", type: "line", data: data.nps, itemStyle: { color: "#206bc4" } },
          { name: average, type: "bar", yAxisIndex: 1, data: data.average, itemStyle: { color: "#74b816" }, barMaxWidth: 24 },
        ],
      };
    });
  });
})();
