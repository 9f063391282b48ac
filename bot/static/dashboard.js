/* The dashboard's little script: JSON posts for the buttons, what a click led to, and the
   server-sent event stream that says when to fetch the live part again (polling while it is
   down). Served from /dashboard/assets/, like htmx; no CDN. */
"use strict";

// Buttons post JSON to the existing POST /api/chat/click (the one way to decide).
htmx.defineExtension("json-enc", {
  onEvent: function (name, evt) {
    if (name === "htmx:configRequest") { evt.detail.headers["Content-Type"] = "application/json"; }
  },
  encodeParameters: function (xhr, parameters) {
    xhr.overrideMimeType("text/json");
    return JSON.stringify(Object.fromEntries(parameters));
  }
});

function posRefresh() {
  var live = document.getElementById("live");
  if (live) { htmx.trigger(live, "refresh"); }
}

// After a click: show what it led to in #notice (the server's answer to that click).
function posClicked(evt) {
  var xhr = evt.detail.xhr, notice = document.getElementById("notice");
  var body = {};
  try { body = JSON.parse(xhr.responseText || "{}"); } catch (e) { body = {}; }
  if (xhr.status !== 200) {
    notice.textContent = "Not done: " + (body.detail || body.error || ("the server answered " + xhr.status));
    notice.focus();
    return;
  }
  if (body.event_id) {
    htmx.ajax("GET", "/dashboard/answer/" + body.event_id + "?part=live", {target: "#notice", swap: "innerHTML"})
      .then(function () { notice.focus(); });  // the clicked button may be gone: keep the place
  } else {
    notice.textContent = "That click was already received.";
    notice.focus();
  }
  posRefresh();
}

// Live: the stream says "change"; while it is down, the live part polls every second.
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource || live.dataset.stream === undefined) { return; }
  var source = new EventSource(live.dataset.stream);
  source.addEventListener("open", function () { window.posLive = true; });
  source.addEventListener("change", function () { window.posLive = true; posRefresh(); });
  source.addEventListener("error", function () { window.posLive = false; });
})();
