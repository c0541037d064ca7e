/*
 * The live camera page (templates/emotions/camera.html).
 *
 * getUserMedia -> a canvas downscaled to data-frame-width pixels -> JPEG (data-jpeg-quality)
 * -> one binary WebSocket message per frame, at the chosen rate. The server (emotions/consumers.py)
 * answers each frame with the faces it found; we draw their boxes over the video and show the
 * largest face's emotion mix.
 *
 * Back-pressure: the next frame goes out only once the previous one was answered (or after
 * REPLY_TIMEOUT_MS), so a slow server or network never builds a queue; the ticks skipped while
 * waiting are counted on the page. An overloaded server answers a frame it had no time for with
 * "skipped" (counted as dropped by the server) rather than analysing it late.
 *
 * No inline script or style (the site's Content-Security-Policy forbids them): settings come from
 * data-* attributes, bars are <progress> elements.
 */
(function () {
  "use strict";

  var root = document.getElementById("camera-app");
  if (!root) {
    return;
  }

  var REPLY_TIMEOUT_MS = 2000;
  var RECONNECT_MIN_MS = 1000;
  var RECONNECT_MAX_MS = 15000;
  // Errors after which the camera must stay off (the server closes the socket too).
  var FATAL_ERRORS = ["unauthenticated", "no_consent", "unknown_exhibit", "consent_withdrawn"];
  var CLOSE_REASONS = {
    4401: "Please sign in again to use the camera.",
    4403: "The camera is off: your consent is needed (see the privacy & consent page).",
    4404: "This exhibit has no camera any more.",
  };

  var config = {
    wsPath: root.dataset.wsPath,
    fps: Number(root.dataset.fps) || 5,
    frameWidth: Number(root.dataset.frameWidth) || 320,
    quality: Number(root.dataset.jpegQuality) || 0.7,
    maxFrameBytes: Number(root.dataset.maxFrameBytes) || 512 * 1024,
  };

  function byId(id) {
    return document.getElementById(id);
  }

  var video = byId("camera-video");
  var overlay = byId("camera-overlay");
  var statusBox = byId("camera-status");
  var statusText = byId("camera-status-text");
  var errorBox = byId("camera-error");
  var startButton = byId("camera-start");
  var stopButton = byId("camera-stop");
  var fpsSelect = byId("camera-fps");
  var topEmotion = byId("camera-top-emotion");
  var topConfidence = byId("camera-top-confidence");
  var facesOut = byId("camera-faces");
  var serverMsOut = byId("camera-server-ms");
  var droppedOut = byId("camera-dropped");
  var skippedOut = byId("camera-skipped");
  var bars = {};
  Array.prototype.forEach.call(byId("camera-bars").querySelectorAll("li[data-emotion]"), function (li) {
    bars[li.dataset.emotion] = {
      progress: li.querySelector("progress"),
      value: li.querySelector(".emotion-value"),
    };
  });

  config.fps = Number(fpsSelect.value) || config.fps;

  var capture = document.createElement("canvas");
  var captureContext = capture.getContext("2d");
  var overlayContext = overlay.getContext("2d");

  var stream = null;
  var socket = null;
  var timer = null;
  var reconnectTimer = null;
  var running = false;
  var ready = false;
  var capturing = false;
  var awaiting = false;
  var sentAt = 0;
  var sentSize = { width: config.frameWidth, height: 1 };
  var skipped = 0;
  var reconnectDelay = RECONNECT_MIN_MS;
  var fatalMessage = "";

  function setStatus(state, text) {
    statusBox.dataset.state = state;
    statusText.textContent = text;
  }

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function showButtons() {
    stopButton.hidden = !running;
    startButton.hidden = running;
  }

  function cameraErrorText(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The browser did not allow the camera. Allow it for this site and press Start.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera was found on this device.";
    }
    if (name === "NotReadableError") {
      return "The camera is busy in another application.";
    }
    return "The camera could not be opened (" + (name || error) + ").";
  }

  async function start() {
    if (running) {
      return;
    }
    showError("");
    fatalMessage = "";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus("off", "Camera unavailable");
      showError(
        "This browser cannot open the camera on this page. Use a recent browser over https:// " +
          "(or http://localhost / http://127.0.0.1 on this computer).",
      );
      return;
    }
    setStatus("starting", "Asking for the camera…");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
    } catch (error) {
      setStatus("off", "Camera off");
      showError(cameraErrorText(error));
      return;
    }
    video.srcObject = stream;
    try {
      await video.play();
    } catch (error) {
      // Autoplay of a muted, inline video is allowed everywhere; frames still arrive regardless.
    }
    running = true;
    skipped = 0;
    showButtons();
    setStatus("on", "Camera on · connecting…");
    connect();
  }

  function stop(message) {
    running = false;
    ready = false;
    awaiting = false;
    clearTimeout(timer);
    clearTimeout(reconnectTimer);
    if (socket) {
      var closing = socket;
      socket = null;
      closing.close(1000, "camera stopped");
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    overlayContext.clearRect(0, 0, overlay.width, overlay.height);
    showButtons();
    setStatus("off", "Camera off");
    if (message) {
      showError(message);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + config.wsPath);
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", function (event) {
      if (ws === socket) {
        onMessage(event);
      }
    });
    ws.addEventListener("close", function (event) {
      if (ws === socket) {
        onClose(event);
      }
    });
    socket = ws;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function onMessage(event) {
    if (typeof event.data !== "string") {
      return;
    }
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message.type === "ready") {
      ready = true;
      reconnectDelay = RECONNECT_MIN_MS;
      setStatus("analysing", "Camera on · analysing");
      send({ type: "config", fps: config.fps });
      schedule(0);
    } else if (message.type === "config") {
      config.fps = Number(message.fps) || config.fps; // The server may clamp the rate.
    } else if (message.type === "result") {
      awaiting = false;
      render(message);
    } else if (message.type === "skipped") {
      // The server was too busy to analyse this frame in time: keep the last result on
      // screen and send the next frame as usual.
      awaiting = false;
      droppedOut.textContent = String(message.dropped);
    } else if (message.type === "error") {
      awaiting = false;
      if (FATAL_ERRORS.indexOf(message.code) >= 0) {
        fatalMessage = message.message;
        stop(message.message);
      } else {
        // A refused frame: the socket stays open and the next frame is sent as usual.
        showError(message.message);
      }
    }
  }

  function onClose(event) {
    socket = null;
    ready = false;
    awaiting = false;
    clearTimeout(timer);
    if (!running) {
      return;
    }
    if (CLOSE_REASONS[event.code]) {
      stop(fatalMessage || CLOSE_REASONS[event.code]);
      return;
    }
    // A dropped connection (network, server restart): keep the camera, reconnect with back-off.
    setStatus("on", "Camera on · reconnecting…");
    reconnectTimer = setTimeout(function () {
      if (running) {
        connect();
      }
    }, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (running && ready) {
      timer = setTimeout(tick, delay);
    }
  }

  function tick() {
    schedule(1000 / config.fps);
    if (!socket || socket.readyState !== WebSocket.OPEN || capturing) {
      return;
    }
    if (video.readyState < 2 || !video.videoWidth) {
      return; // No picture yet.
    }
    if (awaiting && performance.now() - sentAt < REPLY_TIMEOUT_MS) {
      skipped += 1;
      skippedOut.textContent = String(skipped);
      return;
    }
    var scale = Math.min(1, config.frameWidth / video.videoWidth);
    var width = Math.round(video.videoWidth * scale);
    var height = Math.round(video.videoHeight * scale);
    if (capture.width !== width || capture.height !== height) {
      capture.width = width;
      capture.height = height;
    }
    captureContext.drawImage(video, 0, 0, width, height);
    capturing = true;
    capture.toBlob(
      function (blob) {
        capturing = false;
        if (!blob || !socket || socket.readyState !== WebSocket.OPEN) {
          return;
        }
        if (blob.size > config.maxFrameBytes) {
          skipped += 1;
          skippedOut.textContent = String(skipped);
          return;
        }
        sentSize = { width: width, height: height };
        socket.send(blob);
        awaiting = true;
        sentAt = performance.now();
      },
      "image/jpeg",
      config.quality,
    );
  }

  function percent(value) {
    return Math.round(value * 100) + " %";
  }

  function render(message) {
    var faces = message.faces || [];
    facesOut.textContent = String(faces.length);
    serverMsOut.textContent = Math.round(message.server_ms);
    droppedOut.textContent = String(message.dropped);
    drawBoxes(faces);
    if (!faces.length) {
      topEmotion.textContent = "no face found";
      topEmotion.dataset.emotion = "";
      topConfidence.textContent = "";
      return;
    }
    // The server lists the largest (nearest) face first: that is the visitor.
    var face = faces[0];
    topEmotion.textContent = face.label;
    topEmotion.dataset.emotion = face.label;
    topConfidence.textContent = "(" + percent(face.confidence) + ")";
    Object.keys(bars).forEach(function (name) {
      var value = face.probabilities[name] || 0;
      bars[name].progress.value = value;
      bars[name].value.textContent = percent(value);
    });
  }

  function drawBoxes(faces) {
    // Draw in the video's own pixels; CSS scales the canvas exactly like the video.
    var width = video.videoWidth || sentSize.width;
    var height = video.videoHeight || sentSize.height;
    if (overlay.width !== width || overlay.height !== height) {
      overlay.width = width;
      overlay.height = height;
    }
    var factor = width / sentSize.width;
    overlayContext.clearRect(0, 0, width, height);
    overlayContext.lineWidth = Math.max(2, width / 200);
    overlayContext.font = Math.round(Math.max(14, width / 30)) + "px sans-serif";
    overlayContext.textBaseline = "bottom";
    faces.forEach(function (face) {
      var box = face.box;
      var w = box.w * factor;
      var h = box.h * factor;
      // The video is mirrored (a selfie view), the overlay is not: mirror x here so that the
      // labels stay readable.
      var x = width - (box.x * factor + w);
      var y = box.y * factor;
      overlayContext.strokeStyle = "#ffd54f";
      overlayContext.strokeRect(x, y, w, h);
      var text = face.label + " " + percent(face.confidence);
      var textWidth = overlayContext.measureText(text).width + 8;
      var lineHeight = parseInt(overlayContext.font, 10) + 6;
      var top = y > lineHeight ? y - lineHeight : y + h;
      overlayContext.fillStyle = "rgba(0, 0, 0, 0.65)";
      overlayContext.fillRect(x, top, textWidth, lineHeight);
      overlayContext.fillStyle = "#ffffff";
      overlayContext.fillText(text, x + 4, top + lineHeight - 3);
    });
  }

  startButton.addEventListener("click", function () {
    start();
  });
  stopButton.addEventListener("click", function () {
    stop("");
  });
  fpsSelect.addEventListener("change", function () {
    config.fps = Number(fpsSelect.value) || config.fps;
    send({ type: "config", fps: config.fps });
  });
  // Leaving the page closes the socket cleanly (the server then writes the last second).
  window.addEventListener("pagehide", function () {
    if (running) {
      stop("");
    }
  });

  // The visitor came here to use the camera: ask for it straight away.
  start();
})();
