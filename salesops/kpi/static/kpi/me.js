/* KPI self-service charts: my comparison (grouped bars: me, TOP3, benchmark per metric)
 * and my capability radar (me and my team's average this quarter, me last quarter).
 * Data comes from json_script blocks (CSP: no inline script); runs after the deferred
 * echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  function draw(id, optionFor) {
    window.SalesOps.drawChart(id, id + "-data", optionFor);
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw("kpi-comparison-chart", function (data) {
      return {
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            const lines = [items[0].name];
            items.forEach(function (item) {
              const raw = data.series[item.seriesIndex].raw[item.dataIndex];
              lines.push(item.marker + item.seriesName + ": " + (raw === null ? "—" : raw));
            });
            return lines.join("<br>");
          },
        },
        legend: { data: data.series.map(function (s) { return s.name; }), bottom: 0 },
        grid: { left: 50, right: 20, top: 30, bottom: 70 },
        xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 20 } },
        yAxis: { type: "value", name: data.axis, max: 100 },
        series: data.series.map(function (s) {
          return { name: s.name, type: "bar", data: s.data };
        }),
      };
    });
    draw("kpi-radar-chart", function (data) {
      return {
        tooltip: {},
        legend: { data: data.series.map(function (s) { return s.name; }), bottom: 0 },
        radar: { indicator: data.indicators, radius: "65%" },
        series: [{
          type: "radar",
          data: data.series.map(function (s) {
            return { name: s.name, value: s.data.map(function (v) { return v === null ? 0 : v; }) };
          }),
        }],
      };
    });
  });
})();
