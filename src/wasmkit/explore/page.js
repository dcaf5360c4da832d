// wasmkit explore: renders the page from the JSON in #explore-data. Nothing is fetched: the
// page works from a file with no network. Only what is in view is built into the DOM: the
// function list shows at most LIST_LIMIT rows, and a function's code is laid out when chosen.
"use strict";

const DATA = JSON.parse(document.getElementById("explore-data").textContent);
const LIST_LIMIT = 200;
const CHART_BARS = 25;
const HEX_BYTES = 6;

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") node.addEventListener("click", value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

const hex = (n, width) => n.toString(16).padStart(width || 0, "0");
const bytes = (n) => (n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MiB" : n >= 1024 ? (n / 1024).toFixed(1) + " KiB" : n + " B");

function panel(title, ...children) {
  return h("section", { class: "panel" }, h("h2", { text: title }), ...children);
}

// -- a module --

class ModuleView {
  constructor(module, back) {
    this.m = module;
    this.back = back; // a component's view, when this module is one of its core modules
    this.funcs = module.functions;
    this.callers = null;
  }

  label(f) {
    return f.name ? f.name : `func[${f.index}]`;
  }

  show() {
    const m = this.m;
    document.getElementById("title").textContent = m.name;
    document.getElementById("meta").textContent =
      `core module, ${bytes(m.size)}, ${this.funcs.length} functions (${this.funcs.filter((f) => f.imported).length} imported)` +
      (DATA.engine ? `, generated code: ${DATA.engine} engine` : "");
    const side = document.getElementById("side");
    const back = this.back ? [h("p", {}, h("span", { class: "link", id: "back", text: "\u2190 back to the component", onclick: () => this.back.show() }))] : [];
    side.replaceChildren(...back, this.functionsPanel(), this.sectionsPanel(), this.importsPanel(), this.exportsPanel());
    const content = document.getElementById("content");
    content.replaceChildren(this.chartPanel(), h("section", { class: "panel", id: "function-view" }));
    CURRENT = this;
  }

  sectionsPanel() {
    const biggest = Math.max(1, ...this.m.sections.map((s) => s.size));
    const rows = this.m.sections.map((s) =>
      h("tr", { class: "section" },
        h("td", { text: s.name }),
        h("td", { class: "num", text: "0x" + hex(s.offset) }),
        h("td", { class: "num", text: bytes(s.size) }),
        h("td", { class: "barcell" }, h("div", { class: "bar", style: `width:${(100 * s.size) / biggest}%` }))),
    );
    return panel("Sections", h("table", { id: "sections" }, h("tr", {}, h("th", { text: "section" }), h("th", { text: "offset" }), h("th", { text: "size" }), h("th", {})), ...rows));
  }

  importsPanel() {
    const rows = this.m.imports.map((i) => h("tr", {}, h("td", { text: `${i.module}.${i.name}` }), h("td", { text: i.desc })));
    return panel(`Imports (${rows.length})`, h("details", {}, h("summary", { text: "show" }), h("table", { id: "imports" }, ...rows)));
  }

  exportsPanel() {
    const rows = this.m.exports.map((e) => {
      const target = e.kind === "func" ? h("span", { class: "link", text: `func[${e.index}]`, onclick: () => this.select(e.index) }) : `${e.kind}[${e.index}]`;
      return h("tr", {}, h("td", { text: e.name }), h("td", {}, target));
    });
    return panel(`Exports (${rows.length})`, h("details", { open: "" }, h("summary", { text: "show" }), h("table", { id: "exports" }, ...rows)));
  }

  chartPanel() {
    const defined = this.funcs.filter((f) => !f.imported).sort((a, b) => b.size - a.size);
    const top = defined.slice(0, CHART_BARS);
    const total = defined.reduce((sum, f) => sum + f.size, 0) || 1;
    const biggest = Math.max(1, ...top.map((f) => f.size));
    const rows = top.map((f) =>
      h("tr", { class: "chart-row", onclick: () => this.select(f.index) },
        h("td", { class: "name link", text: this.label(f), title: this.label(f) }),
        h("td", { class: "num", text: bytes(f.size) }),
        h("td", { class: "num muted", text: ((100 * f.size) / total).toFixed(1) + "%" }),
        h("td", { class: "barcell" }, h("div", { class: "bar", style: `width:${(100 * f.size) / biggest}%` }))),
    );
    return panel(`Biggest functions (code size, ${top.length} of ${defined.length})`, h("div", { id: "chart-box" }, h("table", { id: "chart" }, ...rows)));
  }

  functionsPanel() {
    const filter = h("input", { id: "function-filter", type: "search", placeholder: "filter by name or index" });
    const order = h("select", { id: "function-order" }, h("option", { value: "index", text: "by index" }), h("option", { value: "size", text: "by size" }));
    const list = h("div", { id: "function-list" });
    const render = () => {
      const needle = filter.value.trim().toLowerCase();
      let found = this.funcs.filter((f) => !needle || String(f.index) === needle || this.label(f).toLowerCase().includes(needle));
      if (order.value === "size") found = found.slice().sort((a, b) => b.size - a.size);
      const rows = found.slice(0, LIST_LIMIT).map((f) =>
        h("div", { class: "row", "data-index": f.index, onclick: () => this.select(f.index) },
          h("span", { class: "name", text: `${f.index} ${this.label(f)}`, title: this.label(f) }),
          h("span", { class: "muted", text: f.imported ? "import" : bytes(f.size) })),
      );
      if (found.length > LIST_LIMIT) rows.push(h("div", { class: "more", text: `${found.length - LIST_LIMIT} more: filter to narrow` }));
      list.replaceChildren(...rows);
    };
    filter.addEventListener("input", render);
    order.addEventListener("change", render);
    render();
    return panel(`Functions (${this.funcs.length})`, filter, order, list);
  }

  callersOf(index) {
    if (this.callers === null) {
      this.callers = this.funcs.map(() => []);
      for (const f of this.funcs) for (const callee of f.calls) if (callee < this.callers.length) this.callers[callee].push(f.index);
    }
    return this.callers[index] || [];
  }

  select(index) {
    if (location.hash !== `#func=${index}`) history.replaceState(null, "", `#func=${index}`);
    this.showFunction(index);
  }

  showFunction(index) {
    const f = this.funcs[index];
    const view = document.getElementById("function-view");
    if (!f || !view) return;
    for (const row of document.querySelectorAll("#function-list .row.selected")) row.classList.remove("selected");
    const row = document.querySelector(`#function-list .row[data-index="${index}"]`);
    if (row) row.classList.add("selected");
    const head = h("div", { class: "fhead" },
      h("h2", { id: "function-name", text: `func[${f.index}] ${f.name}` }),
      h("span", { class: "muted", text: f.type }),
      f.imported ? h("span", { text: `imported from ${f.imported}` }) : h("span", { class: "muted", text: `${bytes(f.size)} at 0x${hex(f.offset)}, ${f.locals} locals` }));
    view.replaceChildren(head, this.callGraph(f));
    if (f.imported) return;
    const panes = h("div", { class: "panes" }, this.disassemblyPane(f));
    const generated = (this.m.generated || {}).functions || {};
    const views = generated[String(f.index)];
    if (views) panes.append(this.generatedPane(views));
    else if (this.m.generated) panes.append(h("div", { class: "pane" }, h("h3", { text: this.m.generated.title }), h("p", { class: "note", text: this.m.generated.missing })));
    view.append(panes);
  }

  callGraph(f) {
    const node = (i) => h("span", { class: "node link", text: this.label(this.funcs[i] || { index: i, name: "" }), onclick: () => this.select(i) });
    const callers = this.callersOf(f.index);
    const indirect = f.indirect ? h("span", { class: "muted", text: `+ ${f.indirect} indirect call${f.indirect > 1 ? "s" : ""}` }) : null;
    return h("div", { class: "callgraph", id: "callgraph" },
      h("div", { class: "col callers" }, h("span", { class: "muted", text: `${callers.length} caller${callers.length === 1 ? "" : "s"} \u2192` }), ...callers.map(node)),
      h("div", { class: "me", text: this.label(f) }),
      h("div", { class: "col callees" }, h("span", { class: "muted", text: `\u2192 ${f.calls.length} callee${f.calls.length === 1 ? "" : "s"}` }), ...f.calls.map(node), indirect));
  }

  disassemblyPane(f) {
    const text = this.m.disassembly[String(f.index)];
    if (text === undefined) return h("div", { class: "pane" }, h("h3", { text: "wasm" }), h("p", { class: "note", id: "disassembly-missing", text: this.m.missing }));
    const body = atob(this.m.code[String(f.index)]);
    const lines = text.split("\n");
    const rows = lines.map((line) => {
      const a = line.indexOf(" "), b = line.indexOf(" ", a + 1);
      return [parseInt(line.slice(0, a), 16), +line.slice(a + 1, b), line.slice(b + 1)];
    });
    const out = [];
    for (let n = 0; n < rows.length; n++) {
      const [at, depth, text] = rows[n];
      const end = n + 1 < rows.length ? rows[n + 1][0] : f.offset + f.size;
      let code = "";
      for (let i = at; i < Math.min(end, at + HEX_BYTES); i++) code += hex(body.charCodeAt(i - f.offset), 2) + " ";
      if (end - at > HEX_BYTES) code += "\u2026";
      out.push(`<span class="ln" data-at="${at}"><span class="off">${hex(at, 6)}:</span> <span class="hex">${code.padEnd(3 * HEX_BYTES + 1)}</span>${"  ".repeat(depth)}${escapeHtml(text)}</span>`);
    }
    const pre = h("pre", { class: "code", id: "disassembly" });
    pre.innerHTML = out.join("");
    pre.addEventListener("click", (event) => this.link(event, pre));
    return h("div", { class: "pane" }, h("h3", { text: "wasm (file offset, bytes, instruction)" }), pre);
  }

  generatedPane(views) {
    const tabs = h("div", { class: "tabs" });
    const pre = h("pre", { class: "code", id: "generated" });
    const note = h("p", { class: "note" });
    const choose = (k) => {
      const v = views[k];
      for (const [i, b] of [...tabs.children].entries()) b.classList.toggle("on", i === k);
      const lines = v.text.split("\n");
      pre.innerHTML = lines.map((line, i) => {
        const at = v.at ? v.at[i] : 0;
        return at ? `<span class="ln" data-at="${at}">${escapeHtml(line)}</span>` : `<span class="ln">${escapeHtml(line) || " "}</span>`;
      }).join("");
      note.textContent = v.note || "";
    };
    views.forEach((v, k) => tabs.append(h("button", { text: v.title, onclick: () => choose(k) })));
    pre.addEventListener("click", (event) => this.link(event, pre));
    choose(0);
    return h("div", { class: "pane" }, h("h3", {}, tabs), note, pre);
  }

  // A click on a line that came from a wasm instruction marks that instruction and every line
  // made from it, in each pane, and scrolls the other panes to the first of them.
  link(event, source) {
    const line = event.target.closest(".ln[data-at]");
    if (!line) return;
    const at = line.dataset.at;
    for (const old of document.querySelectorAll(".code .ln.hi")) old.classList.remove("hi");
    for (const pre of document.querySelectorAll("#function-view .code")) {
      const marked = pre.querySelectorAll(`.ln[data-at="${at}"]`);
      for (const m of marked) m.classList.add("hi");
      if (pre !== source && marked.length) pre.scrollTop = marked[0].offsetTop - pre.clientHeight / 3;
    }
  }
}

// -- a component --

class ComponentView {
  constructor(component) {
    this.c = component;
    this.modules = component.modules.map((m) => new ModuleView(m, this));
  }

  show() {
    const c = this.c;
    CURRENT = this;
    history.replaceState(null, "", "#");
    document.getElementById("title").textContent = c.name;
    document.getElementById("meta").textContent = `component, ${bytes(c.size)}, ${c.modules.length} core module${c.modules.length === 1 ? "" : "s"}`;
    const list = this.modules.map((view, k) =>
      h("li", {}, h("span", { class: "link core-module", text: `core module ${k}: ${view.m.name}`, onclick: () => view.show() }),
        h("span", { class: "muted", text: ` ${bytes(view.m.size)}, ${view.funcs.length} functions` })));
    document.getElementById("side").replaceChildren(panel("Core modules", h("ul", { id: "core-modules" }, ...list)));
    // The structure as objdump -x lists it; each core module's header line opens that module.
    const tree = h("div", { class: "tree", id: "structure" });
    let k = 0;
    for (const line of c.structure) {
      const header = /^\s*core module\s+start=/.test(line) && k < this.modules.length;
      const view = header ? this.modules[k++] : null;
      tree.append(view ? h("span", { class: "link", text: line, onclick: () => view.show() }) : line, "\n");
    }
    // The WIT world, as `wasmkit wit` prints it.
    const wit = h("div", { id: "wit-world", class: "tree" });
    wit.textContent = c.wit;
    document.getElementById("content").replaceChildren(panel("WIT world", wit), panel("Structure", tree));
  }
}

let CURRENT = null;

function start() {
  const root = DATA.root;
  const view = root.kind === "component" ? new ComponentView(root) : new ModuleView(root, null);
  view.show();
  const fromHash = () => {
    const match = /^#func=(\d+)$/.exec(location.hash);
    if (match && CURRENT instanceof ModuleView) CURRENT.showFunction(+match[1]);
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
}

start();
