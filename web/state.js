/* The page's shared state and the elements it writes to.
 *
 * Angles: + internal, - external, degrees, per the subject's own side.
 * Message format: docs/server.md.
 */

export const $ = (id) => document.getElementById(id);
export const params = new URLSearchParams(location.search);

/** Domain facts from the server's /api/info (filled before anything is shown): the sides in
 * the server's order, the norms, what each quality flag does to a trial, the landmarks by name,
 * the skeleton's bones and each leg hip to toe. */
export const facts = { sides: [], norms: null, flags: {}, landmarks: {}, bones: [], legs: {} };

/** Take the facts from /api/info. */
export function setFacts(info) {
  for (const key of Object.keys(facts)) if (info[key] !== undefined) facts[key] = info[key];
}

export const ui = {
  status: $("status"), statusText: $("status-text"), statusMeta: $("status-meta"),
  conn: $("conn"), connText: $("conn-text"),
  mjpeg: $("mjpeg"), video: $("local-video"), canvas: $("skeleton"), preview: $("preview"),
  caption: $("caption"), tick: $("tick"),
  guide: $("guide"), steps: $("steps"), prompt: $("prompt"), detail: $("detail"), checks: $("checks"),
  countdown: $("countdown"), ring: $("ring"), countdownText: $("countdown-text"),
  next: $("btn-next"), nextLabel: $("btn-next-label"), redo: $("btn-redo"), cancel: $("btn-cancel"),
  results: $("results"), resultsBody: document.querySelector("#results-table tbody"),
  resultsNotes: $("results-notes"), asymBadge: $("asym-badge"),
  save: $("btn-save"), report: $("btn-report"), saveStatus: $("save-status"),
  again: $("btn-again"), close: $("btn-close"), wrap: document.querySelector(".preview-wrap"),
  footMeta: $("foot-meta"),
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
  lastReplyAt: 0,
  info: { records: false },
  savedFor: null,
  audio: null,
};
