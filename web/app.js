/* hiprom live page: plain JavaScript, no build step, no outside resources.
 *
 * Two modes:
 *  - server camera: messages from /ws/live, picture from /video.mjpg (or none
 *    for a landmark recording: the skeleton is drawn on a blank canvas);
 *  - this device's camera: getUserMedia, JPEG frames sent to /ws/camera,
 *    which answers with the same messages.
 * Message format: docs/server.md. Angles: + internal, - external, degrees,
 * per the subject's own side.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const TOKEN = params.get("token");
  const SIDES = ["right", "left"];
  const NORM_DEG = 45;
  const DIAL_LIMIT = 70;          // the dial shows -70..+70 degrees
  const PIVOT = { x: 150, y: 22 }; // the knee: the shin swings below it
  const SEND_FPS = 15;            // browser camera: pictures per second sent at most
  const SEND_WIDTH = 640;

  // BlazePose connections drawn as the skeleton.
  const BONES = [
    [11, 12], [11, 23], [12, 24], [23, 24],
    [11, 13], [13, 15], [12, 14], [14, 16],
    [23, 25], [25, 27], [27, 29], [29, 31], [27, 31],
    [24, 26], [26, 28], [28, 30], [30, 32], [28, 32],
  ];
  const LEG = { left: [23, 25, 27, 29, 31], right: [24, 26, 28, 30, 32] };
  const COLORS = { left: "#4cc9f0", right: "#ff9f43", mid: "#f3f6fa" };
  const STEP_SHORT = { "right internal": "R IR", "right external": "R ER", "left internal": "L IR", "left external": "L ER" };

  const ui = {
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

  const app = {
    mode: params.get("mode") === "browser" ? "browser" : (localStorage.getItem("hiprom.mode") || "server"),
    ws: null,
    retry: 0,
    retryTimer: null,
    lastFrameAt: 0,
    source: null,
    state: null,
    tickSeq: null,
    peaks: { left: { ir: null, er: null }, right: { ir: null, er: null } },
    peaksVersion: null,
    stream: null,
    sendTimer: null,
    inFlight: 0,
    lastReplyAt: 0,
    info: { records: false },
    savedFor: null,
    audio: null,
  };

  // ---------- URLs (the token travels with every request when given) ----------
  function httpUrl(path) {
    const u = new URL(path, location.href);
    if (TOKEN) u.searchParams.set("token", TOKEN);
    return u.toString();
  }
  function wsUrl(path, extra) {
    const u = new URL(path, location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (TOKEN) u.searchParams.set("token", TOKEN);
    for (const [k, v] of Object.entries(extra || {})) u.searchParams.set(k, v);
    return u.toString();
  }

  // ---------- dials ----------
  const rad = (deg) => (deg * Math.PI) / 180;
  function dialPoint(screenDeg, r) {
    // screenDeg: 0 = straight down, + = toward the screen's right.
    return { x: PIVOT.x + r * Math.sin(rad(screenDeg)), y: PIVOT.y + r * Math.cos(rad(screenDeg)) };
  }
  function arcPath(fromDeg, toDeg, r) {
    const a = Math.min(fromDeg, toDeg), b = Math.max(fromDeg, toDeg);
    const p = dialPoint(a, r), q = dialPoint(b, r);
    return `M ${p.x.toFixed(1)} ${p.y.toFixed(1)} A ${r} ${r} 0 ${b - a > 180 ? 1 : 0} 0 ${q.x.toFixed(1)} ${q.y.toFixed(1)}`;
  }
  // Seen from a camera in front, the subject's right leg is on the screen's left:
  // internal rotation swings the right foot to the screen's left, the left foot to the right.
  const screenSign = (side) => (side === "right" ? -1 : 1);
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, parent) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  }
  function buildDial(side) {
    const face = document.querySelector(`#side-${side} .dial-face`);
    const s = screenSign(side);
    svgEl("path", { class: "arc", d: arcPath(-DIAL_LIMIT, DIAL_LIMIT, 128) }, face);
    for (let d = -60; d <= 60; d += 15) {
      const p = dialPoint(d, 120), q = dialPoint(d, 136);
      svgEl("line", { class: "tick-mark", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, face);
    }
    for (const dir of [1, -1]) {
      const deg = s * dir * NORM_DEG;
      const p = dialPoint(deg, 100), q = dialPoint(deg, 152);
      svgEl("line", { class: "norm-mark", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, face);
      const t = dialPoint(deg, 166);
      const label = svgEl("text", { class: "norm-label", x: t.x, y: t.y + 5, "text-anchor": "middle" }, face);
      label.textContent = "45°";
      const e = dialPoint(s * dir * (DIAL_LIMIT + 9), 110);
      const dl = svgEl("text", { class: "dir-label", x: e.x, y: e.y, "text-anchor": "middle" }, face);
      dl.textContent = dir > 0 ? "IR" : "ER";
    }
    const dial = face.parentNode;
    const sweep = svgEl("path", { class: "sweep", d: "" });
    dial.insertBefore(sweep, face.nextSibling);
    const peakIr = svgEl("line", { class: "peak", x1: 0, y1: 0, x2: 0, y2: 0, visibility: "hidden" }, face);
    const peakEr = svgEl("line", { class: "peak", x1: 0, y1: 0, x2: 0, y2: 0, visibility: "hidden" }, face);
    return { sweep, needle: dial.querySelector(".needle"), peakIr, peakEr };
  }
  const dials = { right: buildDial("right"), left: buildDial("left") };

  function setLine(line, deg, r0, r1) {
    const p = dialPoint(deg, r0), q = dialPoint(deg, r1);
    line.setAttribute("x1", p.x.toFixed(1)); line.setAttribute("y1", p.y.toFixed(1));
    line.setAttribute("x2", q.x.toFixed(1)); line.setAttribute("y2", q.y.toFixed(1));
  }

  function fmtAngle(a) {
    if (a === null || a === undefined) return "–";
    const r = Math.round(a);
    return (r > 0 ? "+" : r < 0 ? "−" : "") + Math.abs(r) + "°";
  }

  function updateSide(side, reading, active) {
    const d = dials[side];
    const angle = reading ? reading.angle_deg : null;
    const card = $(`side-${side}`);
    card.classList.toggle("active", !!active);
    $(`angle-${side}`).textContent = fmtAngle(angle);
    if (angle === null || angle === undefined) {
      $(`dir-${side}`).textContent = reading ? "not measurable" : "\u00a0";
      $(`unc-${side}`).textContent = "\u00a0";
      d.needle.setAttribute("visibility", "hidden");
      d.sweep.setAttribute("d", "");
    } else {
      const clamped = Math.max(-DIAL_LIMIT, Math.min(DIAL_LIMIT, angle));
      const deg = screenSign(side) * clamped;
      d.needle.setAttribute("visibility", "visible");
      setLine(d.needle, deg, 0, 150);
      d.sweep.setAttribute("d", Math.abs(clamped) > 0.5 ? arcPath(0, deg, 128) : "");
      const pct = Math.round((Math.abs(angle) / NORM_DEG) * 100);
      $(`dir-${side}`).textContent = Math.abs(angle) < 1 ? "neutral" : angle > 0 ? "internal" : "external";
      const unc = reading.uncertainty_deg;
      $(`unc-${side}`).textContent = (unc !== null && unc !== undefined ? `± ${unc.toFixed(1)}°  ·  ` : "") + `${pct}% of 45°`;
      const pk = app.peaks[side];
      if (angle > 0 && (pk.ir === null || angle > pk.ir)) pk.ir = angle;
      if (angle < 0 && (pk.er === null || -angle > pk.er)) pk.er = -angle;
    }
    const pk = app.peaks[side];
    for (const [key, line, sign] of [["ir", d.peakIr, 1], ["er", d.peakEr, -1]]) {
      if (pk[key] !== null && pk[key] > 3) {
        line.setAttribute("visibility", "visible");
        setLine(line, screenSign(side) * sign * Math.min(pk[key], DIAL_LIMIT), 112, 146);
      } else line.setAttribute("visibility", "hidden");
    }
    const list = $(`flags-${side}`);
    const flags = reading ? reading.flags || [] : [];
    const key = flags.join(",");
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren(...flags.map((f) => {
        const li = document.createElement("li");
        li.textContent = f.replace(/_/g, " ");
        if (["pelvis_hike", "trunk_lean", "knee_drift", "no_person", "leg_out_of_frame", "low_visibility"].includes(f)) li.classList.add("bad");
        return li;
      }));
    }
  }

  // ---------- preview ----------
  function fitPreview() {
    // The largest box of the picture's aspect ratio that fits the space between the dials.
    const [W, H] = (app.source && app.source.size_wh) || [640, 480];
    const r = ui.wrap.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const scale = Math.min(r.width / W, r.height / H);
    ui.preview.style.width = `${Math.floor(W * scale)}px`;
    ui.preview.style.height = `${Math.floor(H * scale)}px`;
  }

  // ---------- skeleton ----------
  function fitCanvas() {
    const c = ui.canvas, r = ui.preview.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    return { w, h, dpr };
  }
  function drawSkeleton(landmarks, sizeWh, activeSide) {
    const { w, h, dpr } = fitCanvas();
    const ctx = ui.canvas.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    if (!landmarks) return;
    const [W, H] = sizeWh || [640, 480];
    const scale = Math.min(w / W, h / H);
    const ox = (w - W * scale) / 2, oy = (h - H * scale) / 2;
    const pt = (i) => {
      const l = landmarks[i];
      if (!l || l[0] === null || l[1] === null || (l[2] !== null && l[2] < 0.3)) return null;
      return [ox + l[0] * W * scale, oy + l[1] * H * scale];
    };
    const sideOf = (i) => (i >= 11 ? (i % 2 === 1 ? "left" : "right") : "mid");
    ctx.lineCap = "round";
    for (const [a, b] of BONES) {
      const p = pt(a), q = pt(b);
      if (!p || !q) continue;
      const side = sideOf(a) === sideOf(b) ? sideOf(a) : "mid";
      const isLeg = side !== "mid" && LEG[side].includes(a) && LEG[side].includes(b);
      const active = isLeg && side === activeSide;
      ctx.strokeStyle = COLORS[side];
      ctx.lineWidth = (active ? 9 : isLeg ? 6 : 4) * dpr;
      ctx.globalAlpha = activeSide && !active && isLeg ? 0.55 : 1;
      ctx.shadowColor = active ? COLORS[side] : "transparent";
      ctx.shadowBlur = active ? 14 * dpr : 0;
      ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
    }
    ctx.shadowBlur = 0; ctx.globalAlpha = 1;
    for (let i = 11; i < 33; i++) {
      if (i >= 17 && i <= 22) continue;
      const p = pt(i);
      if (!p) continue;
      ctx.fillStyle = COLORS[sideOf(i)];
      ctx.beginPath(); ctx.arc(p[0], p[1], ([25, 26].includes(i) ? 7 : 4.5) * dpr, 0, 2 * Math.PI); ctx.fill();
    }
    const nose = pt(0);
    if (nose) {
      ctx.strokeStyle = COLORS.mid; ctx.lineWidth = 3 * dpr;
      ctx.beginPath(); ctx.arc(nose[0], nose[1], 16 * dpr, 0, 2 * Math.PI); ctx.stroke();
    }
  }

  // ---------- status ----------
  function setStatus(status) {
    if (!status) return;
    ui.status.className = `status ${status.level || "info"}`;
    ui.statusText.textContent = status.text || "";
    ui.status.dataset.code = status.code || "";
  }
  function setConn(kind, text) {
    ui.conn.className = `conn ${kind}`;
    ui.connText.textContent = text;
  }
  function setSource(src) {
    if (!src) return;
    const changed = !app.source || app.source.kind !== src.kind || app.source.preview !== src.preview;
    const resized = !app.source || String(app.source.size_wh) !== String(src.size_wh);
    app.source = src;
    if (resized) fitPreview();
    if (!changed) return;
    if (app.mode === "server") {
      ui.video.hidden = true;
      if (src.preview) {
        if (!ui.mjpeg.getAttribute("src")) ui.mjpeg.src = httpUrl("video.mjpg");
        ui.mjpeg.hidden = false;
        ui.caption.textContent = src.label;
      } else {
        ui.mjpeg.removeAttribute("src");
        ui.mjpeg.hidden = true;
        ui.caption.textContent = `${src.label}: landmarks only, no picture`;
      }
    }
  }

  // ---------- guide ----------
  function command(action) {
    if (action === "start" || (action === "next" && app.state && ["idle", "results", "cancelled"].includes(app.state.phase))) {
      app.peaks = { left: { ir: null, er: null }, right: { ir: null, er: null } };
      ensureAudio();
    }
    if (app.ws && app.ws.readyState === WebSocket.OPEN) {
      app.ws.send(JSON.stringify({ type: "command", action }));
    }
  }

  function renderSteps(state) {
    const items = [];
    const phase = state.phase;
    const cur = phase === "trial" ? state.step_index : null;
    const mk = (label, cls, extra) => {
      const li = document.createElement("li");
      li.textContent = label;
      if (cls) li.className = cls;
      if (extra) { const s = document.createElement("span"); s.className = "trials"; s.textContent = extra; li.appendChild(s); }
      return li;
    };
    const started = phase !== "idle";
    items.push(mk("Set-up", phase === "setup" ? "current" : started && phase !== "setup" ? "done" : ""));
    items.push(mk("Calibrate", phase === "calibrate" ? "current" : state.calibrated ? "done" : ""));
    state.steps.forEach((s, i) => {
      const marks = s.trials.map((t) => (t.valid ? "✓" : "✗")).join("");
      const value = s.value_deg !== null ? ` ${Math.round(s.value_deg)}°` : "";
      items.push(mk(s.short, i === cur ? "current" : s.done ? "done" : "", (marks + value).trim()));
    });
    items.push(mk("Results", phase === "results" ? "current" : ""));
    ui.steps.replaceChildren(...items);
  }

  function renderChecks(checks) {
    ui.checks.replaceChildren(...checks.map((c) => {
      const li = document.createElement("li");
      li.className = c.ok ? "ok" : "bad";
      li.textContent = c.label;
      return li;
    }));
  }

  function updateGuide(state) {
    if (!state) return;
    const prev = app.state;
    app.state = state;
    ui.guide.dataset.phase = state.phase;
    ui.guide.dataset.sub = state.sub || "";
    ui.prompt.textContent = state.prompt || "";
    ui.detail.textContent = state.last_trial && state.sub === "return" ? `${state.last_trial}. ${state.detail || ""}` : state.detail || "";
    renderChecks(state.checks || []);
    renderSteps(state);
    const label = { idle: "Start test", results: "Run again", cancelled: "Start test" }[state.phase]
      || { setup: "Skip check", calibrate: "Calibrate now", trial: "Skip step", analyzing: "Next" }[state.phase] || "Next";
    ui.nextLabel.textContent = label;
    ui.redo.disabled = !["setup", "calibrate", "trial", "results"].includes(state.phase);
    ui.cancel.disabled = state.phase === "idle";
    // Countdown ring: hold, calibration and set-up.
    const total = state.hold_s;
    if (state.countdown_s !== null && state.countdown_s !== undefined && total) {
      ui.countdown.classList.add("on");
      const frac = Math.max(0, Math.min(1, 1 - state.countdown_s / total));
      ui.ring.style.strokeDashoffset = String(264 * (1 - frac));
      ui.countdownText.textContent = state.countdown_s > 0 ? state.countdown_s.toFixed(1) : "✓";
    } else {
      ui.countdown.classList.remove("on");
    }
    if (app.tickSeq !== null && state.tick_seq > app.tickSeq) showTick();
    app.tickSeq = state.tick_seq;
    if (state.phase === "results" && state.results) {
      if (!prev || prev.phase !== "results" || !ui.results.dataset.rid || ui.results.dataset.rid !== state.results.result_id) {
        renderResults(state.results);
      }
      ui.results.hidden = false;
      ui.guide.classList.add("has-results");
    } else {
      ui.results.hidden = true;
      ui.results.dataset.rid = "";
      ui.guide.classList.remove("has-results");
    }
    if (state.phase === "results" && !state.results && state.error) ui.detail.textContent = state.error;
  }

  function showTick() {
    ui.tick.classList.remove("show");
    void ui.tick.offsetWidth; // restart the animation
    ui.tick.classList.add("show");
    beep();
  }
  function ensureAudio() {
    try {
      if (!app.audio) app.audio = new (window.AudioContext || window.webkitAudioContext)();
      if (app.audio.state === "suspended") app.audio.resume();
    } catch (e) { app.audio = null; }
  }
  function beep() {
    const ctx = app.audio;
    if (!ctx || ctx.state !== "running") return;
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.3);
  }

  // ---------- results ----------
  function cell(value, unc, pct, reason) {
    const td = document.createElement("td");
    if (value === null || value === undefined) {
      td.textContent = "not measurable";
      if (reason) td.title = reason;
      return td;
    }
    const big = document.createElement("span");
    big.className = "big";
    big.textContent = `${value.toFixed(0)}°`;
    td.appendChild(big);
    if (unc !== null && unc !== undefined) {
      const u = document.createElement("span");
      u.className = "unc";
      u.textContent = `± ${unc.toFixed(0)}°`;
      td.appendChild(u);
    }
    if (pct !== null && pct !== undefined) {
      const p = document.createElement("span");
      p.className = "pct" + (pct < 75 ? " low" : "");
      p.textContent = `${pct.toFixed(0)}% of norm`;
      td.appendChild(p);
    }
    return td;
  }
  function renderResults(res) {
    ui.results.dataset.rid = res.result_id;
    const rows = [
      ["Internal rotation", "internal_rotation"],
      ["External rotation", "external_rotation"],
      ["Total arc", "total_arc"],
    ];
    const asym = res.asymmetry || {};
    const flagged = new Set(asym.flagged_measures || []);
    ui.resultsBody.replaceChildren(...rows.map(([label, key]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row"; th.textContent = label;
      tr.appendChild(th);
      for (const side of SIDES) {
        const s = res.sides[side] || {};
        const td = cell(s[`${key}_deg`], s[`${key}_unc_deg`], s[`${key}_pct_norm`], s.not_measurable);
        const unconfirmed = key === "total_arc"
          ? s.internal_rotation_confirmed === false || s.external_rotation_confirmed === false
          : s[`${key}_confirmed`] === false;
        if (unconfirmed && s[`${key}_deg`] !== null && s[`${key}_deg`] !== undefined) {
          const mark = document.createElement("span");
          mark.className = "unconfirmed";
          mark.textContent = "unconfirmed";
          mark.title = s[`${key}_reason`] || "no valid trial: repeat it to confirm";
          td.appendChild(mark);
        }
        tr.appendChild(td);
      }
      const diff = asym[`${key}_deg`];
      const td = document.createElement("td");
      if (diff === null || diff === undefined) td.textContent = "–";
      else {
        const big = document.createElement("span");
        big.className = "big";
        big.textContent = `${diff > 0 ? "+" : diff < 0 ? "−" : ""}${Math.abs(diff).toFixed(0)}°`;
        td.appendChild(big);
        const pct = asym[`${key}_pct`];
        if (pct !== null && pct !== undefined) {
          const p = document.createElement("span"); p.className = "pct"; p.textContent = `${pct.toFixed(0)}%`; p.title = "of the larger side"; td.appendChild(p);
        }
        if (flagged.has(`${key}_deg`) || flagged.has(key)) td.classList.add("flagged");
      }
      tr.appendChild(td);
      return tr;
    }));
    const thr = asym.threshold_deg ?? (res.norms || {}).asymmetry_threshold_deg ?? 10;
    if (asym.flagged) {
      ui.asymBadge.className = "badge flagged";
      ui.asymBadge.textContent = `Asymmetry above ${thr}°`;
    } else if (res.measurable === false) {
      ui.asymBadge.className = "badge flagged";
      ui.asymBadge.textContent = "Not measurable";
    } else {
      ui.asymBadge.className = "badge ok";
      ui.asymBadge.textContent = `Sides within ${thr}°`;
    }
    const notes = [...(res.notes || [])];
    if (res.not_measurable_reason) notes.unshift(res.not_measurable_reason);
    ui.resultsNotes.textContent = notes.length ? notes.join(" · ") : `Norm ${res.norm_deg ?? 45}° each way; total arc norm ${2 * (res.norm_deg ?? 45)}°.`;
    app.savedFor = null;
    ui.saveStatus.textContent = "";
    ui.saveStatus.className = "save-status";
    ui.save.disabled = !app.info.records;
    ui.save.title = app.info.records ? "" : "Saving is not available on this server (no records store).";
    ui.report.setAttribute("aria-disabled", "true");
    ui.report.href = "#";
  }

  async function saveSession() {
    const res = app.state && app.state.results;
    if (!res || ui.save.disabled) return;
    ui.save.disabled = true;
    ui.saveStatus.className = "save-status";
    ui.saveStatus.textContent = "Saving…";
    try {
      // The full analysis of the finished test, then a new session in the records store.
      const a = await fetch(httpUrl(`api/results/${res.result_id}`), { credentials: "same-origin" });
      if (!a.ok) throw new Error((await a.json().catch(() => ({}))).detail || `HTTP ${a.status}`);
      const analysis = await a.json();
      const subject = $("subject").value.trim() || null;
      const steps = (app.state.steps || []).map((s) => ({ side: s.side, direction: s.direction, trials: s.trials, note: s.note }));
      const r = await fetch(httpUrl("api/sessions"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          analysis,
          subject,
          camera: app.source ? app.source.label : null,
          settings: { mode: app.mode === "browser" ? "browser camera" : "server source", guided_test: steps },
        }),
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${r.status}`);
      app.savedFor = res.result_id;
      ui.saveStatus.className = "save-status ok";
      ui.saveStatus.textContent = `Saved as session ${body.id}${body.subject ? ` of ${body.subject}` : ""}`;
      if (body.report_url) {
        ui.report.href = httpUrl(body.report_url.replace(/^\//, "") + "?download=1");
        ui.report.setAttribute("aria-disabled", "false");
        ui.report.focus();
      }
    } catch (e) {
      ui.save.disabled = false;
      ui.saveStatus.className = "save-status error";
      ui.saveStatus.textContent = `Not saved: ${e.message}`;
    }
  }

  // ---------- messages ----------
  function onMessage(msg) {
    if (msg.source) setSource(msg.source);
    if (msg.type === "frame") {
      app.lastFrameAt = performance.now();
      const activeSide = msg.state && msg.state.phase === "trial" && msg.state.step ? msg.state.step.side : null;
      for (const side of SIDES) updateSide(side, msg.sides[side], side === activeSide);
      drawSkeleton(msg.landmarks, msg.size_wh, activeSide);
      setStatus(msg.status);
      const q = msg.quality || {};
      const t = msg.timing || {};
      ui.statusMeta.textContent = [
        q.fps ? `${q.fps.toFixed(0)} fps` : "",
        t.latency_ms !== undefined ? `${Math.round(t.latency_ms)} ms` : "",
        q.calibrated ? "calibrated" : "",
      ].filter(Boolean).join(" · ");
      document.body.dataset.frames = String((Number(document.body.dataset.frames) || 0) + 1);
    } else {
      setStatus(msg.status);
      if (msg.sides === null && performance.now() - app.lastFrameAt > 1500) {
        for (const side of SIDES) updateSide(side, null, false);
        drawSkeleton(null);
      }
    }
    if (msg.state) updateGuide(msg.state);
  }

  function closeSocket() {
    if (app.retryTimer) { clearTimeout(app.retryTimer); app.retryTimer = null; }
    if (app.ws) {
      const ws = app.ws;
      app.ws = null;
      ws.onclose = null; ws.onmessage = null; ws.onerror = null;
      try { ws.close(); } catch (e) { /* already closed */ }
    }
  }

  function openSocket(url, onOpen) {
    closeSocket();
    setConn("", "connecting…");
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    app.ws = ws;
    ws.onopen = () => {
      app.retry = 0;
      setConn("up", app.mode === "server" ? "live" : "device camera");
      if (onOpen) onOpen(ws);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (app.mode === "browser" && msg.type === "frame") { app.inFlight = Math.max(0, app.inFlight - 1); app.lastReplyAt = performance.now(); }
      onMessage(msg);
    };
    ws.onclose = () => {
      if (app.ws !== ws) return;
      app.ws = null;
      setConn("down", "disconnected");
      setStatus({ level: "error", code: "disconnected", text: "Connection to the hiprom server lost: reconnecting…" });
      const delay = Math.min(5000, 500 * 2 ** app.retry++);
      app.retryTimer = setTimeout(() => start(), delay);
    };
  }

  // ---------- modes ----------
  function stopBrowserCamera() {
    if (app.sendTimer) { clearInterval(app.sendTimer); app.sendTimer = null; }
    if (app.stream) { for (const t of app.stream.getTracks()) t.stop(); app.stream = null; }
    ui.video.srcObject = null;
    ui.video.hidden = true;
  }

  function startServerMode() {
    stopBrowserCamera();
    app.source = null;
    ui.caption.textContent = "";
    openSocket(wsUrl("ws/live"));
  }

  async function startBrowserMode() {
    ui.mjpeg.removeAttribute("src");
    ui.mjpeg.hidden = true;
    if (!app.stream) {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        setStatus({ level: "error", code: "no_camera_api", text: "This browser cannot share its camera here (it needs http://127.0.0.1 or https)." });
        return;
      }
      setStatus({ level: "info", code: "asking", text: "Asking for the camera…" });
      try {
        app.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      } catch (e) {
        setStatus({ level: "error", code: "camera_denied", text: `No camera: ${e.message || e.name}. Allow the camera, or use the server camera.` });
        return;
      }
      const track = app.stream.getVideoTracks()[0];
      if (track) track.onended = () => setStatus({ level: "error", code: "camera_lost", text: "This device's camera stopped (unplugged?). Switch modes to try again." });
    }
    ui.video.srcObject = app.stream;
    ui.video.hidden = false;
    await ui.video.play().catch(() => {});
    ui.caption.textContent = "this device's camera";
    app.source = { kind: "browser", preview: false };
    const grab = document.createElement("canvas");
    openSocket(wsUrl("ws/camera"), (ws) => {
      app.inFlight = 0;
      if (app.sendTimer) clearInterval(app.sendTimer);
      app.sendTimer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN || !ui.video.videoWidth) return;
        const now = performance.now();
        if (app.inFlight >= 2 && now - app.lastReplyAt < 1500) return; // the server is busy: skip this picture
        if (now - app.lastReplyAt >= 1500) app.inFlight = 0;
        const vw = ui.video.videoWidth, vh = ui.video.videoHeight;
        const s = Math.min(1, SEND_WIDTH / vw);
        grab.width = Math.round(vw * s); grab.height = Math.round(vh * s);
        grab.getContext("2d").drawImage(ui.video, 0, 0, grab.width, grab.height);
        app.inFlight += 1;
        if (!app.lastReplyAt) app.lastReplyAt = now;
        grab.toBlob((blob) => { if (blob && ws.readyState === WebSocket.OPEN) ws.send(blob); }, "image/jpeg", 0.8);
      }, 1000 / SEND_FPS);
    });
  }

  function start() {
    document.getElementById("mode-server").setAttribute("aria-pressed", String(app.mode === "server"));
    document.getElementById("mode-browser").setAttribute("aria-pressed", String(app.mode === "browser"));
    document.body.dataset.mode = app.mode;
    if (app.mode === "browser") startBrowserMode(); else startServerMode();
  }

  function setMode(mode) {
    if (mode === app.mode && app.ws) return;
    app.mode = mode;
    localStorage.setItem("hiprom.mode", mode);
    app.state = null; app.tickSeq = null;
    start();
  }

  // ---------- input ----------
  ui.next.addEventListener("click", () => command(app.state && ["idle", "results", "cancelled"].includes(app.state.phase) ? "start" : "next"));
  ui.redo.addEventListener("click", () => command("redo"));
  ui.cancel.addEventListener("click", () => command("cancel"));
  ui.save.addEventListener("click", saveSession);
  ui.again.addEventListener("click", () => command("start"));
  ui.close.addEventListener("click", () => command("cancel"));
  ui.report.addEventListener("click", (ev) => { if (ui.report.getAttribute("aria-disabled") === "true") ev.preventDefault(); });
  $("mode-server").addEventListener("click", () => setMode("server"));
  $("mode-browser").addEventListener("click", () => setMode("browser"));
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return; // typing, not commands
    const onControl = ["BUTTON", "A"].includes(tag);
    if (ev.key === " " || ev.key === "Enter") {
      if (onControl) return; // the focused control handles its own activation
      ev.preventDefault();
      ui.next.click();
    } else if (ev.key === "r" || ev.key === "R") {
      ev.preventDefault();
      command("redo");
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      command("cancel");
    }
  });
  window.addEventListener("resize", () => { fitPreview(); fitCanvas(); });
  if (window.ResizeObserver) new ResizeObserver(() => fitPreview()).observe(ui.wrap);
  setInterval(() => {
    if (app.lastFrameAt && performance.now() - app.lastFrameAt > 3000) {
      for (const side of SIDES) $(`side-${side}`).classList.add("stale");
    } else {
      for (const side of SIDES) $(`side-${side}`).classList.remove("stale");
    }
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
        setStatus({ level: "error", code: "token", text: "This server needs its access token: open the full address 'hiprom serve' printed (…/?token=…)." });
        return;
      }
      app.info = Object.assign(app.info, info);
      ui.footMeta.textContent = info.version ? `hiprom ${info.version}` : "";
      if (info.server_source === false) {
        // Started for browser cameras only: there is no server camera to watch.
        $("mode-server").disabled = true;
        $("mode-server").title = "This server was started without a camera or video of its own.";
        app.mode = "browser";
      }
      if (info.browser_camera === false) {
        $("mode-browser").disabled = true;
        if (info.server_source !== false) app.mode = "server";
      }
      start();
    });
})();
