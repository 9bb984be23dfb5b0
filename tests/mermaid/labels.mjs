// Mermaid's own parser as a reader of labels, for tests/test_faithful.py: one flowchart
// per input line (a JSON string), one line of output per flowchart: {labels: {node id:
// label}} or {error}.
// A label is what Mermaid's renderer shows: its entity codes (`#34;`) become characters.
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const dir = new URL('.', import.meta.url).pathname;
const require = createRequire(dir);
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const entry = pathToFileURL(dir + 'node_modules/mermaid/dist/mermaid.core.mjs').href;
const { default: mermaid } = await import(entry);
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

// What mermaid.render does around the parse: entity codes out of the way of the grammar,
// then back as HTML entities, which the page decodes (here: a DOM text node does).
const encode = (text) =>
  text
    .replace(/style.*:\S*#.*;/g, (s) => s.substring(0, s.length - 1))
    .replace(/classDef.*:\S*#.*;/g, (s) => s.substring(0, s.length - 1))
    .replace(/#\w+;/g, (s) => {
      const inner = s.substring(1, s.length - 1);
      return /^\+?\d+$/.test(inner) ? 'ﬂ°°' + inner + '¶ß' : 'ﬂ°' + inner + '¶ß';
    });
const decode = (text) => text.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
const shown = (text) => {
  const el = document.createElement('span');
  el.innerHTML = decode(text);
  return el.textContent;
};

for await (const line of createInterface({ input: process.stdin })) {
  const source = JSON.parse(line);
  let answer;
  try {
    await mermaid.parse(encode(source));
    const db = (await mermaid.mermaidAPI.getDiagramFromText(encode(source))).db;
    const labels = {};
    for (const [id, vertex] of db.getVertices()) labels[id] = shown(vertex.text);
    answer = { labels };
  } catch (error) {
    // A chart Mermaid refuses is a failed test, not a dead reader for the next ones.
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
