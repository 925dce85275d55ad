/* Every PDF the page offers (a test's report, a visit's, the agreement report, the program sheet) on one paper: the
 * one chosen beside Download PDF (remembered per browser: records.js), else the server's. */

import { ui } from "./state.js";
import { el } from "./dom.js";

/** ``url`` (any address the page can resolve) with ``paper=`` the chosen paper. */
export function onPaper(url) {
  const address = new URL(url, location.href);
  if (ui.paper.value) address.searchParams.set("paper", ui.paper.value);
  return address.href;
}

/** A link that downloads the PDF at ``url`` as ``file``, on the paper chosen when it is followed (it may be chosen
 * after the link was made). */
export function pdfLink(attrs, url, file, ...children) {
  const link = el("a", { ...attrs, href: onPaper(url), download: file }, ...children);
  link.addEventListener("click", () => { link.href = onPaper(url); });
  return link;
}
