/* The ECharts charts of the target plan pages: the calibration's monthly history (line)
 * and the scenario results (bars, with the vote counts when the reader may see them).
 * Data comes from json_script blocks (CSP: no inline script). Runs after the deferred
 * echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  // The chart's data is the json_script block #<id>-data (web/app.js draws it).
  function draw(id, optionFor) {
    window.SalesOps.drawChart(id, id + "-data", optionFor);
  }

  function num(value) { return value === null ? null : Number(value); }

  document.addEventListener("DOMContentLoaded", function () {
    draw("calibration-chart", function (data) {
      return {
        color: ["#206bc4"],
        tooltip: { trigger: "axis" },
        grid: { left: 80, right: 10, top: 20, bottom: 30 },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value" },
        series: [{ name: data.name, type: "line", smooth: true, areaStyle: { opacity: 0.1 }, data: data.values.map(num) }],
      };
    });
    draw("scenario-chart", function (data) {
      const series = [{ name: data.names.result, type: "bar", data: data.values.map(num), barMaxWidth: 48 }];
      const yAxis = [{ type: "value" }];
      if (data.votes) {
        yAxis.push({ type: "value", minInterval: 1, splitLine: { show: false } });
        series.push({ name: data.names.votes, type: "line", yAxisIndex: 1, data: data.votes });
      }
      return {
        color: ["#206bc4", "#f76707"],
        tooltip: { trigger: "axis" },
        legend: { data: series.map(function (s) { return s.name; }), bottom: 0 },
        grid: { left: 80, right: data.votes ? 40 : 10, top: 20, bottom: 40 },
        xAxis: { type: "category", data: data.labels },
        yAxis: yAxis,
        series: series,
      };
    });
  });
})();
