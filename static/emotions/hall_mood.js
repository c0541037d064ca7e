/*
 * The staff hall-mood page (templates/emotions/hall_mood.html).
 *
 * Listens on the hall-mood WebSocket. Each server process publishes, at most once a second per
 * exhibit, the mean emotion mix of the faces its cameras saw there lately (anonymous: no faces,
 * no names). With several processes an exhibit gets updates from several publishers, so the page
 * keeps the latest update of each and adds them up: cameras are summed, probabilities averaged
 * per face. A publisher that has gone quiet for two windows is forgotten.
 */
(function () {
  "use strict";

  var root = document.getElementById("hall-mood");
  if (!root) {
    return;
  }

  var windowSeconds = Number(root.dataset.windowSeconds) || 10;
  var STALE_MS = windowSeconds * 2000;
  var RECONNECT_MIN_MS = 1000;
  var RECONNECT_MAX_MS = 15000;

  var list = document.getElementById("mood-exhibits");
  var empty = document.getElementById("mood-empty");
  var template = document.getElementById("mood-card-template");
  var statusBox = document.getElementById("mood-status");
  var statusText = document.getElementById("mood-status-text");
  var exhibits = {}; // exhibit id -> {exhibit, publishers: {id: update}, card}
  var reconnectDelay = RECONNECT_MIN_MS;

  function setStatus(state, text) {
    statusBox.dataset.state = state;
    statusText.textContent = text;
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function accept(update, receivedAt) {
    var id = update.exhibit.id;
    var entry = exhibits[id];
    if (!entry) {
      entry = exhibits[id] = { exhibit: update.exhibit, publishers: {}, card: null };
    }
    if (update.publisher !== "saved") {
      delete entry.publishers.saved; // Live data replaces the saved stand-in.
    }
    if (!update.cameras && !update.faces) {
      delete entry.publishers[update.publisher];
    } else {
      update.receivedAt = receivedAt;
      entry.publishers[update.publisher] = update;
    }
    render(entry);
  }

  function combine(entry) {
    var cameras = 0;
    var faces = 0;
    var sums = {};
    Object.keys(entry.publishers).forEach(function (key) {
      var update = entry.publishers[key];
      cameras += update.cameras;
      faces += update.faces;
      if (update.probabilities) {
        Object.keys(update.probabilities).forEach(function (name) {
          sums[name] = (sums[name] || 0) + update.probabilities[name] * update.faces;
        });
      }
    });
    var probabilities = {};
    Object.keys(sums).forEach(function (name) {
      probabilities[name] = faces ? sums[name] / faces : 0;
    });
    return { cameras: cameras, faces: faces, probabilities: probabilities };
  }

  function render(entry) {
    if (!Object.keys(entry.publishers).length) {
      if (entry.card) {
        entry.card.remove();
      }
      delete exhibits[entry.exhibit.id];
      empty.hidden = Object.keys(exhibits).length > 0;
      return;
    }
    if (!entry.card) {
      entry.card = template.content.firstElementChild.cloneNode(true);
      entry.card.dataset.exhibit = String(entry.exhibit.id);
      entry.card.querySelector(".mood-title").textContent = entry.exhibit.title;
      entry.card.querySelector(".mood-hall").textContent = entry.exhibit.hall;
      list.appendChild(entry.card);
    }
    var mood = combine(entry);
    var label = "no face lately";
    var best = -1;
    Object.keys(mood.probabilities).forEach(function (name) {
      if (mood.probabilities[name] > best) {
        best = mood.probabilities[name];
        label = name;
      }
    });
    entry.card.querySelector(".mood-label").textContent = label;
    entry.card.querySelector(".mood-cameras").textContent = plural(mood.cameras, "camera");
    entry.card.querySelector(".mood-faces").textContent = plural(mood.faces, "face") + " in " + windowSeconds + " s";
    Array.prototype.forEach.call(entry.card.querySelectorAll("li[data-emotion]"), function (li) {
      var value = mood.probabilities[li.dataset.emotion] || 0;
      li.querySelector("progress").value = value;
      li.querySelector(".emotion-value").textContent = Math.round(value * 100) + " %";
    });
    empty.hidden = true;
  }

  function expire() {
    var now = Date.now();
    Object.keys(exhibits).forEach(function (id) {
      var entry = exhibits[id];
      var changed = false;
      Object.keys(entry.publishers).forEach(function (key) {
        if (now - entry.publishers[key].receivedAt > STALE_MS) {
          delete entry.publishers[key];
          changed = true;
        }
      });
      if (changed) {
        render(entry);
      }
    });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type === "ready") {
        reconnectDelay = RECONNECT_MIN_MS;
        setStatus("analysing", "Live");
      } else if (message.type === "mood") {
        accept(message, Date.now());
      } else if (message.type === "error") {
        setStatus("off", message.message);
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4401 || event.code === 4403) {
        setStatus("off", "Not allowed: sign in with a staff account.");
        return;
      }
      setStatus("starting", "Reconnecting…");
      setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
    });
  }

  var initial = JSON.parse(document.getElementById("hall-mood-initial").textContent || "[]");
  var loadedAt = Date.now();
  initial.forEach(function (update) {
    // Saved readings stand in until the live updates arrive, then age out like any publisher.
    accept(update, loadedAt);
  });
  empty.hidden = Object.keys(exhibits).length > 0;
  setInterval(expire, 1000);
  connect();
})();
