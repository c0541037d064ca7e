/*
 * Staff report charts: draws every <canvas data-chart="ID"> from the JSON in the
 * <script type="application/json" id="ID"> that Django's json_script wrote beside it.
 *
 * The JSON shape comes from museum_site/reports/charts.py:
 *   {kind: "stacked-bar" | "bar" | "grouped-bar" | "line", title, labels: [...],
 *    series: [{key, label, values: [number | null]}], horizontal?, unit?, min?, max?}
 * Every chart has a table with the same figures on the page, so without JavaScript (or
 * without Chart.js) nothing is lost. No inline code: this file runs under
 * Content-Security-Policy "default-src 'self'".
 */
(function () {
  "use strict";

  // Keep in step with the .swatch-* classes in reports.css.
  var EMOTION_COLOURS = {
    angry: "#d62728",
    disgust: "#6b8e23",
    fear: "#9467bd",
    happy: "#f2b705",
    sad: "#1f77b4",
    surprise: "#ff7f0e",
    neutral: "#9e9e9e"
  };
  var SERIES_COLOURS = {
    valence: "#2a7ab0",
    engagement: "#8c8c8c",
    compare: "#c0392b",
    group0: "#2a7ab0",
    group1: "#c7c7c7"
  };
  var POSITIVE = "#2e8b57";
  var NEGATIVE = "#c0392b";

  function colourOf(key) {
    return EMOTION_COLOURS[key] || SERIES_COLOURS[key] || "#2a7ab0";
  }

  function cssVariable(name, fallback) {
    var value = window.getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function readSpec(id) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    return JSON.parse(element.textContent);
  }

  function formatter(spec) {
    var unit = spec.unit || "";
    return function (value) {
      return value === null || value === undefined ? "" : value + (unit ? " " + unit : "");
    };
  }

  function dataset(spec, series) {
    var colour = colourOf(series.key);
    var data = {
      label: series.label,
      data: series.values,
      backgroundColor: colour,
      borderColor: colour
    };
    if (spec.kind === "line") {
      data.fill = false;
      data.spanGaps = false; // a hidden bucket (fewer than k visitors) stays a gap
      data.pointRadius = 2;
      data.tension = 0.2;
      if (series.key === "compare") {
        data.borderDash = [6, 4];
      }
    } else if (spec.kind === "bar" && series.key === "valence") {
      data.backgroundColor = series.values.map(function (value) {
        return value !== null && value < 0 ? NEGATIVE : POSITIVE;
      });
    }
    return data;
  }

  function options(spec) {
    var stacked = spec.kind === "stacked-bar";
    var format = formatter(spec);
    var valueAxis = {
      stacked: stacked,
      ticks: { callback: format, color: cssVariable("--body-quiet-color", "#666") },
      grid: { color: cssVariable("--hairline-color", "#e5e5e5") }
    };
    if (stacked) {
      valueAxis.min = 0;
      valueAxis.max = 100;
    }
    if (typeof spec.min === "number") {
      valueAxis.min = spec.min;
    }
    if (typeof spec.max === "number") {
      valueAxis.max = spec.max;
    }
    var categoryAxis = {
      stacked: stacked,
      ticks: { color: cssVariable("--body-quiet-color", "#666"), autoSkip: true },
      grid: { display: false }
    };
    var horizontal = Boolean(spec.horizontal);
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {
          position: "bottom",
          labels: { color: cssVariable("--body-fg", "#333") }
        },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = horizontal ? context.parsed.x : context.parsed.y;
              return context.dataset.label + ": " + format(value);
            }
          }
        }
      },
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis }
    };
  }

  function draw(canvas) {
    var spec = readSpec(canvas.getAttribute("data-chart"));
    if (!spec || !spec.labels || spec.labels.length === 0) {
      return null;
    }
    if (spec.horizontal) {
      // One row per bar: a long list of exhibits gets a taller chart, not squashed bars.
      canvas.parentNode.style.height = Math.max(320, 22 * spec.labels.length + 90) + "px";
    }
    return new window.Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series) {
          return dataset(spec, series);
        })
      },
      options: options(spec)
    });
  }

  function drawAll() {
    if (typeof window.Chart !== "function") {
      return; // the tables carry the figures
    }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    var drawn = 0;
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (draw(canvas)) {
        drawn += 1;
      }
    });
    document.documentElement.setAttribute("data-charts-drawn", String(drawn));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
