/* The page's shared state and the elements it writes to.
 *
 * Angles: + internal, - external, degrees, per the subject's own side.
 * Sides are listed left, then right (hiprom.landmarks.SIDES), everywhere.
 * Message format: docs/server.md.
 */

export const $ = (id) => document.getElementById(id);
export const params = new URLSearchParams(location.search);

/** Domain facts from the server's /api/info (filled before anything is shown): the sides in
 * the server's order (left, right), the norms and normal bands, what each quality flag does to
 * a trial, each flag's and trial reason's words (hiprom.assessment.reasons), each measure's name as every
 * table and sentence gives it ("Internal rotation": hiprom.assessment.wording), the landmarks by
 * name, the skeleton's bones and each leg hip to toe. */
export const facts = { sides: [], norms: null, flags: {}, reasons: {}, measures: {}, landmarks: {}, bones: [], legs: {} };

/** Reason codes ("pelvis_hike", "released_early") in the words every part of hiprom uses. */
export const reasonWords = (codes) => codes.map((c) => facts.reasons[c] || c.replace(/_/g, " ")).join(", ");

/** Figures as text for people, by hiprom.rounding's rule (degrees "27.0°", changes "+6.3°", percentages "13.5%"). */
export { degrees, percent, signedDegrees } from "./numbers.js";

/** Write ``text`` into ``el`` only when it differs: a live region (aria-live) written on every frame,
 * even with the same words, has a screen reader say them over and over. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Put ``children`` in ``el`` only when they differ from what it shows: a list built anew on every
 * frame, even the same, loses a screen reader's place in it thirty times a second. */
export function setChildren(el, children) {
  if (el.innerHTML !== children.map((c) => c.outerHTML).join("")) el.replaceChildren(...children);
}

/** Whether the person has keys to press: a mouse or trackpad is about (a phone or tablet alone has
 * neither). The page names keys ("Space", "S") only then; on a touch screen it names the buttons. */
export const hasKeys = () => matchMedia("(any-pointer: fine)").matches;

/** Take the facts from /api/info. */
export function setFacts(info) {
  for (const key of Object.keys(facts)) if (info[key] !== undefined) facts[key] = info[key];
}

export const ui = {
  status: $("status"), statusText: $("status-text"), statusMeta: $("status-meta"), statusHelp: $("status-help"),
  conn: $("conn"), connText: $("conn-text"), speech: $("btn-speech"), speechState: $("speech-state"),
  mjpeg: $("mjpeg"), video: $("local-video"), canvas: $("skeleton"), preview: $("preview"),
  caption: $("caption"), tick: $("tick"),
  cameraError: $("camera-error"), cameraErrorTitle: $("camera-error-title"), cameraErrorText: $("camera-error-text"),
  cameraRetry: $("btn-camera-retry"), cameraServer: $("btn-camera-server"),
  guide: $("guide"), steps: $("steps"), prompt: $("prompt"), detail: $("detail"), checks: $("checks"),
  countdown: $("countdown"), ring: $("ring"), countdownText: $("countdown-text"),
  next: $("btn-next"), nextLabel: $("btn-next-label"), redo: $("btn-redo"), cancel: $("btn-cancel"),
  cancelLabel: $("btn-cancel-label"), last: $("btn-last"), program: $("btn-program"),
  results: $("results"), resultsTitle: $("results-title"), resultsBody: document.querySelector("#results-table tbody"),
  resultsNotes: $("results-notes"), asymBadge: $("asym-badge"),
  subject: $("subject"), save: $("btn-save"), report: $("btn-report"), saveStatus: $("save-status"),
  paper: $("paper"), paperRow: $("paper-row"), csv: $("btn-csv"), csvStyle: $("csv-style"), csvRow: $("csv-row"),
  csvTable: $("csv-table"), csvTableRow: $("csv-table-row"),
  export: $("btn-export"),
  wrap: document.querySelector(".preview-wrap"), footMeta: $("foot-meta"), footNorm: $("foot-norm"),
};

export const app = {
  mode: params.get("mode") === "browser" ? "browser" : (localStorage.getItem("hiprom.mode") || "server"),
  ws: null,
  retry: 0,
  retryTimer: null,
  lastFrameAt: 0,
  source: null,
  state: null,
  tickSeq: null,
  stream: null,
  sendTimer: null,
  inFlight: 0,
  paused: null, // why no picture is sent now (camera.js: "hidden", "lost", "muted"), or null
  lastTickAt: 0, // performance.now() of the send timer's last tick (camera.js: a late one is this computer busy)
  cameraMuted: false,
  /** This device's camera stopped while connected (camera.js): asked for again until it is back. */
  cameraLost: false,
  regainTimer: null,
  regaining: false,
  lastReplyAt: 0,
  /** When the oldest picture not yet answered was sent (0: none waits), and whether the server is said to be
   * silent (camera.js). */
  waitingSince: 0,
  serverSilent: false,
  answeredHere: false,
  info: { records: false, home: false },
  /** The newest finished test ({results, steps}), kept until a newer one finishes. */
  last: null,
  /** Whether the results view shows ``last`` while the server's guide is elsewhere. */
  showingLast: false,
  /** Whether the results view shows the home exercise program alone (Exercises, X: no test needed). */
  showingProgram: false,
  savedFor: null,
  /** The stored session of the results shown, once saved (what an exercise done now is stored with). */
  sessionId: null,
  /** The session "Test again" re-tests, until the test it started finishes (then ``last.retestOf``). */
  retestOf: null,
  /** This tab's own id, kept across its reloads (tabs.js, ``tabPageId``; null until the camera's first connection
   * asks): a connection of this device's camera that drops mid-test (or a reload) is kept by the server for a while,
   * and the tab's next connection, naming it, takes the test up where it was. */
  pageId: null,
  /** A guided test on this device's camera that a lost connection ended: "lost", then "said". */
  testLost: null,
  reportUrl: null,
  /** The saved session's CSV, before the table and ``?csv-style=`` chosen beside it. */
  csvUrl: null,
  /** The saved session whose CSV is offered (its number names the file). */
  csvSession: null,
  /** A discard waiting for its second key press: {action, until}. */
  confirm: null,
  /** The server's status when it says nothing can be measured (model or camera missing). */
  blocked: null,
  cameraError: null,
  audio: null,
};
