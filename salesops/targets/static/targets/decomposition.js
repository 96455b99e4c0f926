/* The decomposition page: the capability-resource scatter plot (ECharts, data from a
 * json_script block — CSP: no inline script) and the live "remaining to allocate" of the
 * managers' adjustment form. Runs after the deferred echarts.min.js (DOMContentLoaded). */
(function () {
  "use strict";

  const COLOURS = {
    high_high: "#2fb344",
    low_high: "#206bc4",
    high_low: "#f76707",
    low_low: "#adb5bd",
  };

  function scatter(data) {
    const lines = [];
    if (data.median_x !== null) lines.push({ xAxis: data.median_x });
    if (data.median_y !== null) lines.push({ yAxis: data.median_y });
    const series = data.series.map(function (s, i) {
      const out = {
        name: s.name,
        type: "scatter",
        symbolSize: 12,
        itemStyle: { color: COLOURS[s.code] || "#666" },
        data: s.points,
        tooltip: {
          formatter: function (p) {
            return p.value[2] + "<br>" + s.name + "<br>x: " +
              Number(p.value[0]).toLocaleString() + " · y: " + p.value[1].toFixed(2) + "%";
          },
        },
      };
      if (i === 0 && lines.length) {
        out.markLine = {
          silent: true, symbol: "none", label: { show: false },
          lineStyle: { type: "dashed", color: "#868e96" }, data: lines,
        };
      }
      return out;
    });
    return {
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      grid: { left: 80, right: 20, top: 20, bottom: 50 },
      xAxis: { type: "value", scale: true, axisLabel: { formatter: function (v) { return v.toLocaleString(); } } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series,
    };
  }

  function drawChart() {
    window.SalesOps.drawChart("decomposition-chart", "decomposition-chart-data", scatter);
  }

  function cents(value) {
    const n = Number(value);
    return Number.isFinite(n) ? Math.round(n * 100) : 0;
  }

  function watchRemaining() {
    const form = document.getElementById("adjust-form");
    const out = document.getElementById("adjust-remaining");
    if (!form || !out) return;
    const original = cents(form.dataset.originalTotal);
    function update() {
      let total = 0;
      form.querySelectorAll("[data-adjust-amount]").forEach(function (input) {
        total += cents(input.value);
      });
      const left = original - total;
      out.textContent = (left / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      out.classList.toggle("text-danger", left !== 0);
      out.classList.toggle("text-success", left === 0);
    }
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawChart();
    watchRemaining();
  });
})();
