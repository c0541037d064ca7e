// The clip page: polls the clip's status while it is analysed, then draws its timeline.
// Data comes from data-* attributes and the json_script "clip-timeline" (CSP: no inline JS).
(function () {
  "use strict";

  var COLOURS = {
    angry: "#d32f2f",
    disgust: "#7b9a2c",
    fear: "#7e57c2",
    happy: "#f9a825",
    sad: "#1e88e5",
    surprise: "#ec407a",
    neutral: "#90a4ae",
  };
  var POLL_MS = 1000;

  function poll(app) {
    var url = app.dataset.statusUrl;
    var progress = document.getElementById("clip-progress");
    var progressText = document.getElementById("clip-progress-text");
    var label = document.getElementById("clip-status-label");
    var errorBox = document.getElementById("clip-error");
    var failures = 0;

    function update(data) {
      var percent = Math.round((data.progress || 0) * 100);
      if (progress) progress.value = percent;
      if (progressText) progressText.textContent = percent + " % analysed";
      label.textContent = data.status_label;
      label.dataset.status = data.status;
      app.dataset.status = data.status;
      if (data.error) {
        errorBox.textContent = data.error;
        errorBox.hidden = false;
      }
      if (data.finished) {
        // The finished page renders the timeline (chart and table) on the server.
        window.location.reload();
        return false;
      }
      return true;
    }

    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          if (update(data)) window.setTimeout(tick, POLL_MS);
        })
        .catch(function () {
          // A dropped request (phone network) is retried, more slowly each time.
          failures += 1;
          window.setTimeout(tick, Math.min(POLL_MS * Math.pow(2, failures), 30000));
        });
    }
    window.setTimeout(tick, POLL_MS);
  }

  function chart() {
    var data = document.getElementById("clip-timeline");
    var canvas = document.getElementById("clip-chart");
    if (!data || !canvas || typeof window.Chart === "undefined") return;
    var timeline = JSON.parse(data.textContent);
    var names = Object.keys(COLOURS);
    var datasets = names.map(function (name) {
      return {
        label: name.charAt(0).toUpperCase() + name.slice(1),
        backgroundColor: COLOURS[name],
        borderWidth: 0,
        data: timeline.map(function (entry) {
          return entry.probabilities ? Math.round(entry.probabilities[name] * 1000) / 10 : 0;
        }),
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: timeline.map(function (entry) { return entry.t + " s"; }),
        datasets: datasets,
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, title: { display: true, text: "Second of the clip" } },
          y: { stacked: true, min: 0, max: 100, title: { display: true, text: "%" } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              footer: function (items) {
                var entry = timeline[items[0].dataIndex];
                return entry.faces ? entry.faces + " face(s) in " + entry.frames + " frame(s)" : "no face";
              },
            },
          },
        },
      },
    });
    canvas.dataset.drawn = "true";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var app = document.getElementById("clip-app");
    if (!app) return;
    if (app.dataset.finished !== "true") poll(app);
    chart();
  });
})();
