/**
 * The only way this page builds elements. Data (addresses, names, notes) only
 * ever enters the document as text nodes: there is no innerHTML anywhere, so a
 * household called `<img src=x onerror=…>` stays a string.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children, keeping keyboard focus on the element with the same focus key. */
export function replaceChildrenKeepingFocus(parent, children) {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && parent.contains(active) ? active.dataset.focusKey : undefined;
  parent.replaceChildren(...children);
  if (key) {
    const again = [...parent.querySelectorAll('[data-focus-key]')].find((n) => n.dataset.focusKey === key);
    again?.focus({ preventScroll: true });
  }
}

/** Sets text without replacing the text node, so live regions do not announce a tick as news. */
export function setText(node, text) {
  const value = String(text);
  const first = node.firstChild;
  if (first && first.nodeType === Node.TEXT_NODE && !first.nextSibling) {
    if (first.data !== value) first.data = value;
  } else {
    node.textContent = value;
  }
}
