/* hiprom live page: small ES modules, no build step, no outside resources.
 *
 * Two modes:
 *  - server camera: messages from /ws/live, picture from /video.mjpg (or none
 *    for a landmark recording: the skeleton is drawn on a blank canvas);
 *  - this device's camera: getUserMedia, JPEG frames sent to /ws/camera,
 *    which answers with the same messages.
 * Message format: docs/server.md. Angles: + internal, - external, degrees,
 * per the subject's own side. The picture is shown as in a mirror.
 */

import { $, app, facts, setFacts, setText, ui } from "./state.js";
import { httpUrl, openSocket, setHandlers, wsUrl } from "./connection.js";
import { setConn, setStatus } from "./status.js";
import { buildDials, updateSide } from "./dials.js";
import { drawSkeleton, fitCanvas } from "./skeleton.js";
import { fitPreview, setMirror, setSource, streamPreview } from "./preview.js";
import { guideConnectionLost, unsavedShown, updateGuide, wouldLoseTest } from "./guide.js";
import { exerciseConnectionLost, exerciseRefused, exercisedSides, updateExercise } from "./exercises.js";
import { clearProblem, frameAnswered, pauseStatus, regainCamera, startBrowserMode, stopBrowserCamera } from "./camera.js";
import { bindInput } from "./keys.js";
import { offerCsvStyle, offerPaper } from "./records.js";
import { sayWhereItIs } from "./speech.js";
import { offerAddDevice } from "./devices.js";

function clearLive() {
  for (const side of facts.sides) updateSide(side, null, "", null);
  drawSkeleton(null);
}

function onMessage(msg) {
  if (app.mode === "browser" && msg.type === "frame") frameAnswered(msg);
  if (msg.source) setSource(msg.source);
  if (msg.type === "frame") {
    app.lastFrameAt = performance.now();
    // The dial the person watches, marked: the side a trial tests, or the leg(s) an exercise moves.
    const tested = msg.state && msg.state.phase === "trial" && msg.state.step ? msg.state.step.side : null;
    const exercised = exercisedSides();
    for (const side of facts.sides) {
      const mark = side === tested ? "being tested" : exercised.includes(side) ? "being exercised" : "";
      updateSide(side, msg.sides[side], mark, (msg.peaks || {})[side]);
    }
    drawSkeleton(msg.landmarks, msg.size_wh, tested || (exercised.length === 1 ? exercised[0] : null));
    setStatus(pauseStatus() || msg.status);
    const q = msg.quality || {};
    const t = msg.timing || {};
    setText(ui.statusMeta, [
      q.fps ? `${q.fps.toFixed(0)} fps` : "",
      t.latency_ms !== undefined ? `${Math.round(t.latency_ms)} ms` : "",
      q.calibrated ? "calibrated" : "",
    ].filter(Boolean).join(" · "));
    document.body.dataset.frames = String((Number(document.body.dataset.frames) || 0) + 1);
  } else {
    setStatus(app.cameraLost ? pauseStatus() : msg.status); // a command's answer keeps "The camera stopped"
    if (msg.sides === null && performance.now() - app.lastFrameAt > 1500) clearLive();
  }
  if (msg.state) updateGuide(msg.state, msg.exercise);
  // The server kept this page's test across a dropped connection: said, with where it is (it was silent).
  if (msg.status && msg.status.code === "test_resumed") sayWhereItIs("Connection back: the test goes on.", msg.state);
  updateExercise(msg.exercise || null);
  if (msg.status && msg.status.code === "exercise_refused") exerciseRefused(msg.status);
}

function startServerMode() {
  stopBrowserCamera();
  clearProblem();
  app.source = null;
  ui.caption.textContent = "";
  setMirror(false);
  openSocket(wsUrl("ws/live"));
}

function showMode() {
  $("mode-server").setAttribute("aria-pressed", String(app.mode === "server"));
  $("mode-browser").setAttribute("aria-pressed", String(app.mode === "browser"));
  document.body.dataset.mode = app.mode;
}

function start() {
  showMode();
  if (app.mode === "browser") startBrowserMode(); else startServerMode();
}

function setMode(mode) {
  // A camera that stopped is asked for again on the connection it had (Try again, or its mode's button again).
  if (mode === app.mode && app.cameraLost) { regainCamera(); return; }
  if (mode === app.mode && app.ws && !app.cameraError) return;
  app.mode = mode;
  localStorage.setItem("hiprom.mode", mode);
  app.state = null; app.tickSeq = null; app.lastFrameAt = 0;
  clearLive();
  start();
}

showMode(); // the mode asked for, at once; the server's facts may still change it
// Results on screen and not saved stay there across a lost link (a server restarted starts idle): still savable.
setHandlers({
  message: onMessage,
  lost: () => { clearLive(); exerciseConnectionLost(); guideConnectionLost(); }, // no reading shown as if live
  reconnect: () => { if (unsavedShown()) app.showingLast = true; start(); },
});
bindInput({ setMode });
ui.cameraRetry.addEventListener("click", () => setMode("browser"));
ui.cameraServer.addEventListener("click", () => setMode("server"));
// A reload (F5, a pull-down on a tablet) mid-test took the person back to "Press Start test" unasked: the
// browser asks first ("Leave site?"), as for any form not sent.
window.addEventListener("beforeunload", (e) => { if (wouldLoseTest()) e.preventDefault(); });
window.addEventListener("resize", () => { fitPreview(); fitCanvas(); });
// The picture fits the room its box leaves under the caption: refitted when either changes (a camera's name
// that wraps to a second line on a 320 px phone had pushed the caption out of the box).
if (window.ResizeObserver) {
  const refit = new ResizeObserver(() => fitPreview());
  refit.observe(ui.wrap);
  refit.observe(ui.caption);
}
document.addEventListener("visibilitychange", streamPreview); // a hidden tab is sent no picture
setInterval(() => {
  const stale = app.lastFrameAt && performance.now() - app.lastFrameAt > 3000;
  for (const side of facts.sides) $(`side-${side}`).classList.toggle("stale", !!stale);
}, 1000);

fetch(httpUrl("api/info"), { credentials: "same-origin" })
  .then((r) => {
    if (r.status === 401) app.needsToken = true;
    return r.ok ? r.json() : {};
  })
  .catch(() => ({}))
  .then((info) => {
    if (app.needsToken) {
      setConn("down", "no access");
      setStatus({ level: "error", code: "token", text: "This device is not signed in to this hiprom server: open a new sign-in link (shown where 'hiprom serve' runs) on it." });
      return;
    }
    if (!info.norms) {
      setConn("down", "no answer");
      setStatus({ level: "error", code: "no_info", text: "The hiprom server did not answer: reload the page." });
      return;
    }
    app.info = Object.assign(app.info, info);
    setFacts(info);
    buildDials();
    offerPaper();
    offerAddDevice(info, ui.footMeta.parentElement);
    offerCsvStyle();
    ui.footMeta.textContent = info.version ? `hiprom ${info.version}` : "";
    const n = facts.norms;
    ui.footNorm.textContent = `Reference ${n.norm_deg}° each way · normal band ${n.bands.internal[0]}–${n.bands.internal[1]}° internal, `
      + `${n.bands.external[0]}–${n.bands.external[1]}° external`;
    if (info.server_source === false) {
      // Started for browser cameras only: there is no server camera to watch.
      $("mode-server").disabled = true;
      $("mode-server").title = "This server was started without a camera or video of its own.";
      ui.cameraServer.hidden = true;
      app.mode = "browser";
    }
    if (info.browser_camera === false) {
      $("mode-browser").disabled = true;
      if (info.server_source !== false) app.mode = "server";
    }
    start();
  });
