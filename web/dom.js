/* Building the page's small forms: elements from a tag, attributes and children, and a button that opens
 * and closes the panel it controls (aria-expanded, then the focus on the panel's first field). */

/** A new ``tag`` element with these attributes and children (text or nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A button (``id``, ``label``) that shows and hides ``panel``, hidden at first; opened, the focus goes to ``focus()``. */
export function disclosure(id, label, panel, focus) {
  const toggle = el("button", { type: "button", id, "aria-expanded": "false", "aria-controls": panel.id }, label);
  toggle.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) focus().focus();
  });
  panel.hidden = true;
  return toggle;
}
