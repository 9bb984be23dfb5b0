// The longest rendered line of prose, in characters: every character's box is measured,
// and characters of one block element that share a line box are counted together.
// Preformatted code, tables of figures and SVG are left out (they do not wrap).
() => {
  const root = document.querySelector("main") || document.body;
  const skip = "pre, svg, table, .figures";
  const lines = new Map();
  const range = document.createRange();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const blockOf = new Map();
  let blocks = 0;
  function block(node) {
    let el = node.parentElement;
    while (el && el !== root && getComputedStyle(el).display.startsWith("inline")) {
      el = el.parentElement;
    }
    if (!blockOf.has(el)) blockOf.set(el, blocks++);
    return blockOf.get(el);
  }
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || node.parentElement.closest(skip)) continue;
    const id = block(node);
    for (let i = 0; i < node.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (!box || box.width === 0) continue;
      const key = `${id}:${Math.round(box.top + window.scrollY)}`;
      const line = lines.get(key) || { chars: 0, text: "" };
      line.chars += 1;
      line.text += node.textContent[i];
      lines.set(key, line);
    }
  }
  let longest = { chars: 0, text: "" };
  for (const line of lines.values()) if (line.chars > longest.chars) longest = line;
  return longest;
}
