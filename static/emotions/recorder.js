// Record a clip in the browser (MediaRecorder) and send it to the upload view with fetch.
// Settings come from data-* attributes on #clip-recorder; the CSRF token from the upload form.
(function () {
  "use strict";

  var TYPES = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm", "video/mp4"];

  function pickType() {
    for (var i = 0; i < TYPES.length; i++) {
      if (window.MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";
  }

  function show(element, visible) { element.hidden = !visible; }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("clip-recorder");
    if (!root) return;
    var $ = function (id) { return document.getElementById(id); };
    var preview = $("recorder-preview");
    var status = $("recorder-status");
    var errorBox = $("recorder-error");
    var buttons = {
      camera: $("recorder-camera"),
      record: $("recorder-record"),
      stop: $("recorder-stop"),
      send: $("recorder-send"),
      discard: $("recorder-discard"),
    };
    var maxSeconds = Number(root.dataset.maxSeconds);
    var maxBytes = Number(root.dataset.maxBytes);
    var stream = null;
    var recorder = null;
    var chunks = [];
    var recording = null;
    var stopTimer = null;
    var clockTimer = null;

    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show($("recorder-unsupported"), true);
      show(buttons.camera, false);
      status.textContent = "";
      return;
    }

    function setState(state, text) {
      root.dataset.state = state;
      status.textContent = text;
      show(buttons.camera, state === "off");
      show(buttons.record, state === "ready");
      show(buttons.stop, state === "recording");
      show(buttons.send, state === "recorded");
      show(buttons.discard, state === "recorded");
      buttons.send.disabled = false;
    }

    function fail(message) {
      errorBox.textContent = message;
      show(errorBox, true);
    }

    function clearError() {
      errorBox.textContent = "";
      show(errorBox, false);
    }

    function live() {
      preview.srcObject = stream;
      preview.removeAttribute("src");
      preview.controls = false;
      preview.muted = true;
      show(preview, true);
      preview.play().catch(function () {});
    }

    buttons.camera.addEventListener("click", function () {
      clearError();
      navigator.mediaDevices
        .getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false })
        .then(function (s) {
          stream = s;
          live();
          setState("ready", "Camera on. Record up to " + maxSeconds + " seconds.");
        })
        .catch(function (err) {
          fail("The camera could not be started (" + err.name + "). You can upload a video instead.");
        });
    });

    buttons.record.addEventListener("click", function () {
      clearError();
      chunks = [];
      var type = pickType();
      try {
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      } catch (err) {
        fail("This browser cannot record video (" + err.name + ").");
        return;
      }
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) chunks.push(event.data);
      });
      recorder.addEventListener("stop", function () {
        window.clearTimeout(stopTimer);
        window.clearInterval(clockTimer);
        recording = new Blob(chunks, { type: recorder.mimeType || "video/webm" });
        preview.srcObject = null;
        preview.src = URL.createObjectURL(recording);
        preview.controls = true;
        var mb = (recording.size / 1e6).toFixed(1);
        if (recording.size > maxBytes) {
          setState("recorded", "Recorded " + mb + " MB.");
          buttons.send.disabled = true;
          fail("The recording is larger than the limit; record a shorter clip.");
          return;
        }
        setState("recorded", "Recorded " + mb + " MB. Send it, or discard it and record again.");
      });
      var started = Date.now();
      recorder.start(1000);
      setState("recording", "Recording… 0 s");
      clockTimer = window.setInterval(function () {
        status.textContent = "Recording… " + Math.round((Date.now() - started) / 1000) + " s";
      }, 500);
      // Stop a little before the server's limit, so the clip is never refused for its length.
      stopTimer = window.setTimeout(function () {
        if (recorder.state === "recording") recorder.stop();
      }, Math.max(maxSeconds - 1, 1) * 1000);
    });

    buttons.stop.addEventListener("click", function () {
      if (recorder && recorder.state === "recording") recorder.stop();
    });

    buttons.discard.addEventListener("click", function () {
      clearError();
      recording = null;
      live();
      setState("ready", "Camera on. Record up to " + maxSeconds + " seconds.");
    });

    buttons.send.addEventListener("click", function () {
      if (!recording) return;
      clearError();
      buttons.send.disabled = true;
      status.textContent = "Sending…";
      var extension = (recording.type || "").indexOf("mp4") >= 0 ? "mp4" : "webm";
      var body = new FormData();
      body.append("file", recording, "recording." + extension);
      var token = document.querySelector("#clip-upload-form [name=csrfmiddlewaretoken]").value;
      fetch(root.dataset.uploadUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token },
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (result.ok) {
            if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
            window.location.assign(result.data.url);
            return;
          }
          var messages = [];
          Object.keys(result.data.errors || {}).forEach(function (field) {
            result.data.errors[field].forEach(function (error) { messages.push(error.message); });
          });
          fail(messages.join(" ") || "The recording was refused.");
          setState("recorded", "Not sent.");
        })
        .catch(function () {
          fail("The recording could not be sent. Check your connection and try again.");
          setState("recorded", "Not sent.");
        });
    });
  });
})();
