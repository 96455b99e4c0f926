/* The ECharts heatmap of a team's day (reports/heatmap.html): reps down, hours across,
 * the colour is the effective touches; the tooltip adds all activities. Data comes from
 * a json_script block (CSP: no inline script); the table below the chart holds the same
 * numbers for screen readers and printing. Runs after the deferred echarts.min.js. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("heatmap-chart");
    const node = document.getElementById("heatmap-chart-data");
    if (!el || !node || !window.echarts) return;
    const data = JSON.parse(node.textContent);
    const labels = data.labels || {};
    // One band per rep, so a team of 50 stays readable (CSSOM: allowed by the CSP); past
    // VISIBLE reps (a region, the whole company) the chart scrolls instead of growing.
    const VISIBLE = 50;
    const many = data.reps.length > VISIBLE;
    el.style.height = Math.max(240, 90 + Math.min(data.reps.length, VISIBLE) * 26) + "px";
    const chart = window.echarts.init(el);
    chart.setOption({
      dataZoom: many ? [
        { type: "slider", yAxisIndex: 0, startValue: 0, endValue: VISIBLE - 1, right: 0, width: 14 },
        { type: "inside", yAxisIndex: 0, startValue: 0, endValue: VISIBLE - 1 },
      ] : [],
      tooltip: {
        position: "top",
        formatter: function (p) {
          const v = p.data;
          return data.reps[v[1]] + " · " + data.hours[v[0]] + ":00<br>" +
            (labels.effective || "effective") + ": <b>" + v[2] + "</b><br>" +
            (labels.activities || "activities") + ": " + v[3];
        },
      },
      grid: { left: 110, right: many ? 30 : 20, top: 10, bottom: 70 },
      xAxis: { type: "category", data: data.hours, splitArea: { show: true } },
      yAxis: { type: "category", data: data.reps, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0, max: data.max, calculable: true, orient: "horizontal", left: "center", bottom: 5,
        inRange: { color: ["#f8fafc", "#a5d8ff", "#206bc4"] },
      },
      series: [{
        type: "heatmap",
        data: data.data,
        encode: { x: 0, y: 1, value: 2 },
        label: { show: true, formatter: function (p) { return p.data[2] || ""; } },
        emphasis: { itemStyle: { shadowBlur: 6, shadowColor: "rgba(0,0,0,.3)" } },
      }],
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
