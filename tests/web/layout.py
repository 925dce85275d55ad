"""What a person would notice on the page, measured in the browser: overlapping or cut-off text, sideways scroll."""

from __future__ import annotations

# Every visible text run (text nodes, one box per line), the elements that clip them,
# and the page's sideways overflow. Runs inside [hidden], display:none, opacity 0 or
# visibility:hidden do not count: nobody can see them.
MEASURE_JS = r"""
() => {
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  const shown = (el) => {
    if (getComputedStyle(el).visibility !== "visible") return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || Number(s.opacity) === 0) return false;
      if (s.overflowX !== "visible" && e.getBoundingClientRect().width <= 1) return false;
    }
    return true;
  };
  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest(".visually-hidden, script, style") || !shown(el)) continue;
    const svg = !!el.closest("svg");
    const range = document.createRange();
    range.selectNodeContents(n);
    const size = parseFloat(getComputedStyle(el).fontSize);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      // The em box of each line (the font's content area is taller than tight line heights).
      const mid = (r.top + r.bottom) / 2, half = Math.min(r.height, size) / 2;
      // The nearest ancestor that clips (overflow other than visible), and whether it scrolls.
      let clip = null;
      for (let e = el.parentElement; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.overflowX !== "visible" || s.overflowY !== "visible") {
          const c = e.getBoundingClientRect();
          const scrolls = /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1;
          clip = { l: c.left, r: c.right, t: c.top, b: c.bottom, scrolls, tag: e.tagName + "." + e.className };
          break;
        }
      }
      if (clip && clip.scrolls && (r.bottom < clip.t || r.top > clip.b)) continue; // scrolled out of view
      runs.push({
        node: runs.length && runs[runs.length - 1].nodeRef === n ? runs[runs.length - 1].node : runs.length, nodeRef: n,
        text: text.slice(0, 40), where: el.id || el.className.baseVal || el.className || el.tagName,
        l: r.left, r: r.right, t: mid - half, b: mid + half, svg, size, clip,
      });
    }
  }
  const overlaps = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i], b = runs[j];
      if (a.node === b.node || a.partly || b.partly) continue; // lines of one paragraph; half scrolled out
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l), h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w > 1 && h > 1) overlaps.push(`${a.where} "${a.text}" x ${b.where} "${b.text}"`);
    }
  }
  for (const r of runs) delete r.nodeRef;
  const outside = runs.filter((r) => r.l < -0.5 || r.r > vw + 0.5).map((r) => `${r.where} "${r.text}"`);
  for (const r of runs) if (r.clip && r.clip.scrolls && (r.t < r.clip.t || r.b > r.clip.b)) r.partly = true;
  const clipped = runs.filter((r) => r.clip && !r.clip.scrolls
      && (r.l < r.clip.l - 1 || r.r > r.clip.r + 1 || r.t < r.clip.t - 1 || r.b > r.clip.b + 1))
    .map((r) => `${r.where} "${r.text}" clipped by ${r.clip.tag}`);
  const small = runs.filter((r) => !r.svg && r.size < 16 - 0.01).map((r) => `${r.where} "${r.text}" ${r.size}px`);
  const angle = document.getElementById("angle-left");
  return {
    overlaps, outside, clipped, small,
    hscroll: document.documentElement.scrollWidth > vw,
    angle_px: angle && shown(angle) ? parseFloat(getComputedStyle(angle).fontSize) : null,
    vh, vw, n_runs: runs.length,
  };
}
"""

BOX_JS = """(selector) => [...document.querySelectorAll(selector)].map((el) => {
  const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })"""

# Of the selectors given, those whose elements (every one of each) are missing or partly outside the window.
NOT_IN_VIEW_JS = """(selectors) => selectors.filter((sel) => {
  const els = [...document.querySelectorAll(sel)];
  return !els.length || els.some((el) => {
    const r = el.getBoundingClientRect();
    return r.top < 0 || r.bottom > window.innerHeight || r.left < 0 || r.right > document.documentElement.clientWidth;
  });
})"""

# What a person doing the test must see without scrolling: the instruction with the room kept for its
# detail (up to three lines), the step under way and the button that moves on; those partly outside the
# window, by name.
OUT_OF_VIEW_JS = """() => (%s)(["#prompt", ".prompt-box", "#steps .current", "#btn-next"])""" % NOT_IN_VIEW_JS

# Resolves, in the page, at the first change of the guide that makes ``cond(guide)`` true, with the
# measurements taken as the screen next shows it (a set-up or a hold lasts a fraction of a second at 3x): in that
# frame's resize observations, after the page's own observer has fitted the picture to the room the guide's new
# words leave (observers are called in the order they were made). Measured in the change itself, a longer detail
# had pushed the picture's caption out of its box, a state never painted.
ARM_JS = """
([name, cond]) => {
  const g = document.getElementById("guide");
  const test = new Function("g", "return " + cond);
  window.__hipromAt = window.__hipromAt || {};
  window.__hipromAt[name] = new Promise((resolve) => {
    const done = () => {
      const shown = new ResizeObserver(() => {
        shown.disconnect();
        resolve({ m: (%s)(), box: (%s)(".side .dial"), unseen: (%s)() });
      });
      shown.observe(document.querySelector(".preview-wrap"));
    };
    if (test(g)) { done(); return; }
    const obs = new MutationObserver(() => { if (test(g)) { obs.disconnect(); done(); } });
    obs.observe(g, { attributes: true });
  });
}
""" % (MEASURE_JS, BOX_JS, OUT_OF_VIEW_JS)


def arm(page, name: str, cond: str) -> None:
    """Measure the page when ``cond`` (JS, of the guide element ``g``) first holds; read it with :func:`measured`."""
    page.evaluate(ARM_JS, [name, cond])


def measured(page, name: str, timeout_ms: int = 120_000) -> tuple[list[str], list[float]]:
    """The problems (with what of the guide was out of view) and both dials' boxes (left, right)
    measured when ``name``'s condition held."""
    out = page.evaluate(
        "([name, ms]) => Promise.race([window.__hipromAt[name],"
        " new Promise((_, no) => setTimeout(() => no(new Error(name + ' never came')), ms))])",
        [name, timeout_ms],
    )
    return problems_of(out["m"]) + [f"out of view without scrolling: {sel}" for sel in out["unseen"]], out["box"]


def layout_problems(page) -> list[str]:
    """Overlapping, cut-off, off-screen or too-small text and sideways scroll, as readable lines (none = fine)."""
    return problems_of(page.evaluate(MEASURE_JS))


def problems_of(m: dict) -> list[str]:
    """Readable lines from the page's measurements."""
    problems = [f"overlap: {o}" for o in m["overlaps"]]
    problems += [f"off screen sideways: {o}" for o in m["outside"]]
    problems += [f"cut off: {o}" for o in m["clipped"]]
    problems += [f"smaller than 16 px: {o}" for o in m["small"]]
    if m["hscroll"]:
        problems.append("the page scrolls sideways")
    if m["angle_px"] is not None and m["angle_px"] < 0.05 * m["vh"]:
        problems.append(f"live angle {m['angle_px']:.0f} px < 5 % of the window height {m['vh']}")
    if m["n_runs"] < 10:
        problems.append(f"only {m['n_runs']} text runs visible: the page did not render")
    return problems
