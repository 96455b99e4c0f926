/* The target-health charts: coverage by team with the red and amber lines, and the
 * monthly coverage trend. Data comes from json_script blocks (CSP: no inline script).
 * Runs after the deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  const COLOURS = { red: "#d63939", amber: "#f59f00", green: "#2fb344" };

  // The chart's data is the json_script block #<id>-data (web/app.js draws it).
  function draw(id, optionFor) {
    window.SalesOps.drawChart(id, id + "-data", optionFor);
  }

  function line(name, value, colour) {
    return { name: name, yAxis: value, lineStyle: { color: colour, type: "dashed" }, label: { formatter: name + " {c}" } };
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw("health-coverage-chart", function (data) {
      const top = Math.max.apply(null, data.coverage.filter(function (v) { return v !== null; }).concat([data.amber * 1.5]));
      return {
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            const item = items[0];
            const value = data.coverage[item.dataIndex];
            return item.name + ": " + (value === null ? data.names.reached : value);
          },
        },
        grid: { left: 50, right: 90, top: 20, bottom: 70 },
        xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30 } },
        yAxis: { type: "value", name: data.names.coverage },
        series: [{
          name: data.names.coverage,
          type: "bar",
          data: data.coverage.map(function (value, i) {
            return {
              value: value === null ? top : value,
              itemStyle: { color: COLOURS[data.status[i]] || COLOURS.green, opacity: value === null ? 0.35 : 1 },
            };
          }),
          markLine: {
            symbol: "none",
            data: [line(data.names.red, data.red, COLOURS.red), line(data.names.amber, data.amber, COLOURS.amber)],
          },
        }],
      };
    });
    draw("health-trend-chart", function (data) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: data.series.map(function (s) { return s.name; }), bottom: 0 },
        grid: { left: 50, right: 20, top: 20, bottom: 50 },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value" },
        series: data.series.map(function (s) {
          return { name: s.name, type: "line", connectNulls: false, data: s.data };
        }),
      };
    });
  });
})();
