/* The ECharts charts of the pipeline reports (conversion funnel, forecast, qualified
 * pipeline). Data comes from json_script blocks (CSP: no inline script). Runs after the
 * deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  // The chart's data is the json_script block #<id>-data (web/app.js draws it).
  function draw(id, optionFor) {
    window.SalesOps.drawChart(id, id + "-data", optionFor);
  }

  const COLOURS = ["#206bc4", "#4299e1", "#ae3ec9", "#f76707", "#2fb344", "#d63939", "#74b816"];

  document.addEventListener("DOMContentLoaded", function () {
    draw("conversion-funnel", function (data) {
      const top = Math.max.apply(null, data.data.map(function (d) { return d.value; }).concat([1]));
      return {
        color: COLOURS,
        tooltip: { trigger: "item", formatter: "{b}: {c}" },
        series: [{
          type: "funnel", sort: "none", left: "5%", width: "90%", min: 0, max: top,
          minSize: "12%", gap: 2,
          label: { show: true, position: "inside", formatter: "{b}  {c}", color: "#fff" },
          data: data.data,
        }],
      };
    });
    draw("forecast-chart", function (data) {
      const keys = Object.keys(data.series);
      return {
        color: COLOURS,
        tooltip: { trigger: "axis" },
        legend: { data: keys.map(function (k) { return data.names[k]; }), bottom: 0 },
        grid: { left: 70, right: 10, top: 10, bottom: 50 },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value" },
        series: keys.map(function (k) {
          return { name: data.names[k], type: "bar", stack: "w", data: data.series[k] };
        }),
      };
    });
    draw("qualified-chart", function (data) {
      return {
        color: ["#2fb344", "#adb5bd"],
        tooltip: { trigger: "axis" },
        legend: { data: data.names, bottom: 0 },
        grid: { left: 70, right: 10, top: 10, bottom: 70 },
        xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30 } },
        yAxis: { type: "value" },
        series: [
          { name: data.names[0], type: "bar", stack: "a", data: data.qualified },
          { name: data.names[1], type: "bar", stack: "a", data: data.other },
        ],
      };
    });
  });
})();
