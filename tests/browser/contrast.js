// Text contrast from computed styles: every element with its own text, and every SVG
// <text>, against what is painted behind it. Evaluated by tests/test_browser.py with
// page.evaluate(); returns one object per text run (WCAG 2.1, 1.4.3 AA thresholds).
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  // Any CSS colour (rgb(), hex, color(srgb …), oklch(), named) → [r, g, b, a] in 0–255, 0–1.
  function rgba(value) {
    if (!value || value === "none" || value.startsWith("url(")) return null;
    if (value === "transparent") return [0, 0, 0, 0];
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = value;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  }
  // `top` painted over an opaque `bottom`.
  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function luminance([r, g, b]) {
    const lin = (c) => {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }
  function ratio(a, b) {
    const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
  }
  function opacity(el) {
    let o = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      o *= parseFloat(getComputedStyle(e).opacity || "1");
    }
    return o;
  }
  // The opaque colour behind an HTML element: its own and its ancestors' backgrounds,
  // composited from the canvas (the root's background, else white) upwards.
  function htmlBackground(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg && bg[3] > 0) layers.push(bg);
      if (bg && bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) {
      const root = rgba(getComputedStyle(document.documentElement).backgroundColor);
      const body = rgba(getComputedStyle(document.body).backgroundColor);
      if (root && root[3] > 0) colour = over(root, colour);
      else if (body && body[3] > 0) colour = over(body, colour);
    }
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  }
  const SHAPES = new Set(["rect", "circle", "ellipse", "path", "polygon", "polyline", "line"]);
  // Behind an SVG <text>: the topmost filled shape under the middle of its box, if any,
  // over the HTML background of the <svg>.
  function svgBackground(el) {
    const svg = el.ownerSVGElement;
    let colour = htmlBackground(svg);
    el.scrollIntoView({ block: "center", inline: "center" });
    const box = el.getBoundingClientRect();
    const stack = document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    const shapes = [];
    for (const hit of stack) {
      if (hit === svg) break;
      if (!SHAPES.has(hit.localName) || !svg.contains(hit)) continue;
      const style = getComputedStyle(hit);
      const fill = rgba(style.fill);
      if (!fill || fill[3] === 0) continue;
      fill[3] *= parseFloat(style.fillOpacity || "1") * opacity(hit);
      shapes.push(fill);
      if (fill[3] >= 1) break;
    }
    for (const fill of shapes.reverse()) colour = over(fill, colour);
    return colour;
  }
  function visible(el) {
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  }
  function describe(el) {
    let name = el.localName;
    if (el.id) name += "#" + el.id;
    else if (el.classList.length) name += "." + [...el.classList].join(".");
    const parent = el.parentElement && el.parentElement.closest("[id]");
    return parent ? `${name} in #${parent.id}` : name;
  }

  const results = [];
  const skip = new Set(["script", "style", "title", "head", "noscript", "template"]);
  for (const el of document.querySelectorAll("body *")) {
    if (skip.has(el.localName)) continue;
    const own = [...el.childNodes]
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent)
      .join("")
      .trim();
    if (!own || !visible(el)) continue;
    const isSvg = el instanceof SVGElement;
    if (isSvg && !["text", "tspan", "textPath"].includes(el.localName)) continue;
    const style = getComputedStyle(el);
    const fg = rgba(isSvg ? style.fill : style.color);
    if (!fg) continue;
    fg[3] *= opacity(el) * (isSvg ? parseFloat(style.fillOpacity || "1") : 1);
    const bg = isSvg ? svgBackground(el) : htmlBackground(el);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    // SVG text is drawn scaled with its viewBox: judge its size as shown.
    let shown = size;
    if (isSvg) {
      const ctm = el.getScreenCTM();
      if (ctm) shown = size * Math.hypot(ctm.a, ctm.b);
    }
    const large = shown >= 24 || (bold && shown >= 18.66);
    results.push({
      element: describe(el),
      text: own.slice(0, 60),
      svg: isSvg,
      ratio: Math.round(ratio(over(fg, bg), bg) * 100) / 100,
      required: large ? 3 : 4.5,
      fg: fg.map((c) => Math.round(c * 100) / 100),
      bg: bg.map((c) => Math.round(c)),
    });
  }
  return results;
}
