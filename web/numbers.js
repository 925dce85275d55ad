/* Figures as text for people, by the one rounding rule of hiprom.rounding: Python's round, the exact
 * value to the nearest, an exact half to the even digit ("62.5" to no decimals is "62", "0.25" to one
 * "0.2"). JavaScript's toFixed takes an exact half up, so the page wrote "63%" where the PDF, the CLI
 * and every saved note wrote "62%". No page elements here: a test runs these beside the Python. */

/** |v| to ``decimals`` decimals, as hiprom.rounding.rounded rounds it (an exact half to even). */
export function fixed(v, decimals = 1) {
  const a = Math.abs(v);
  const up = a.toFixed(decimals); // the exact value to the nearest, an exact half up
  const exact = a.toFixed(Math.min(100, decimals + 40)); // a double's digits: its tail shows well within these
  const point = exact.indexOf(".");
  if (!Number.isFinite(a) || a >= 1e21 || point < 0) return up;
  const cut = exact.slice(0, decimals ? point + decimals + 1 : point);
  const half = /^50*$/.test(exact.slice(point + 1 + decimals));
  return half && Number(cut.at(-1)) % 2 === 0 ? cut : up;
}

/** ``v`` as text with the minus sign U+2212 ("−4.1"), never "−0.0" (hiprom.rounding.shown). */
function shown(v, decimals, signed = false) {
  const text = fixed(v, decimals);
  const zero = Number(text) === 0;
  return `${zero ? "" : v < 0 ? "−" : signed ? "+" : ""}${text}`;
}

/** An angle as the PDF and the CLI give it (hiprom.assessment.wording.degrees): one decimal, "27.0°", a
 * negative with the minus sign U+2212, "−4.1°" (as docs/formats.md says: the CSV and JSON keep numbers). */
export const degrees = (v) => `${shown(v, 1)}°`;

/** A figure in a table whose caption gives the unit, as the CLI's tables write it ("28.4", "−2.6"); "—" for none. */
export const figure = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : shown(v, 1));

/** A difference or change, signed as the page writes it ("+10.5°", "−4.1°", "0.0°": never "−0.0°"). */
export const signedDegrees = (d) => `${shown(d, 1, true)}°`;

/** A percentage as the PDF and the CLI give it (hiprom.rounding.percent): ``decimals`` decimals (one, as
 * every figure), the sign closed up, "13.5%", never "13.5 %" (nothing a line can break at); "—" when
 * there is no figure, as the PDF's and the CLI's tables say it. */
export function percent(v, decimals = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return `${shown(v, decimals)}%`;
}
