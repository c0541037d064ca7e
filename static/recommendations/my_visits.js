/*
 * "My visits and emotions": draws the <canvas data-chart="ID"> from the JSON that Django's
 * json_script wrote into <script type="application/json" id="ID">:
 *   {labels: [exhibit titles], values: [baseline-relative delight, one per exhibit]}
 * The page has a table with the same figures, so nothing is lost without JavaScript or
 * Chart.js. No inline code: runs under Content-Security-Policy "default-src 'self'".
 */
(function () {
  "use strict";

  var POSITIVE = "#2e8b57";
  var NEGATIVE = "#c0392b";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.values || !data.values.length) {
      return;
    }
    // Tall enough for one readable bar per exhibit.
    canvas.parentNode.style.height = Math.max(14, 2 * data.values.length + 4) + "rem";
    var muted = window.getComputedStyle(document.documentElement)
      .getPropertyValue("--pico-muted-color").trim() || "#888";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: "Compared with your usual",
          data: data.values,
          backgroundColor: data.values.map(function (value) {
            return value < 0 ? NEGATIVE : POSITIVE;
          })
        }]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: {
            title: { display: true, text: "less ← your usual → more delight", color: muted },
            ticks: { color: muted },
            grid: { color: function (context) {
              return context.tick && context.tick.value === 0 ? muted : "rgba(128,128,128,0.15)";
            } }
          },
          y: { ticks: { color: muted } }
        }
      }
    });
  }

  function start() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i += 1) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
