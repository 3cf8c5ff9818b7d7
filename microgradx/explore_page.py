"""The style and script of the backprop explorer page (see :mod:`microgradx.explore`).

The script reads the page's JSON data and builds the graph (SVG), the step
panel and the trace table with ``createElement`` and ``textContent`` only, so
no label can become markup. It never computes a value or a gradient: each
number it shows is one the engine gave.

>>> "textContent" in PAGE_SCRIPT and "innerHTML" not in PAGE_SCRIPT
True
"""

from __future__ import annotations

__all__ = ["PAGE_STYLE", "PAGE_SCRIPT"]

PAGE_STYLE = """
:root { --ink:#1d2330; --muted:#667085; --line:#d0d5dd; --hot:#e8590c; --hot-bg:#fff4e6; --grad:#1864ab;
  --param:#d0ebff; --input:#f1f3f5; --result:#ffffff; --output:#d3f9d8; --paper:#fbfbfd; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:var(--ink);
  background:var(--paper); }
header { padding:10px 16px 6px; border-bottom:1px solid var(--line); background:#fff; }
h1 { font-size:17px; margin:0 0 6px; font-weight:600; }
.bar { display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
.bar button { font-size:16px; width:40px; height:32px; border:1px solid var(--line); border-radius:6px;
  background:#fff; cursor:pointer; }
.bar button:hover { background:var(--hot-bg); border-color:var(--hot); }
#mgx-slider { flex:1; min-width:160px; accent-color:var(--hot); }
#mgx-count { font-variant-numeric:tabular-nums; color:var(--muted); min-width:120px; text-align:right; }
.phase { font-size:12px; padding:2px 8px; border-radius:10px; background:#e9ecef; }
.phase.backward { background:#ffe8cc; color:#a33a00; }
.phase.forward { background:#d3f9d8; color:#1b5e20; }
.note { color:#a61e1e; font-size:13px; margin-top:4px; }
main { display:flex; gap:12px; padding:12px 16px; align-items:flex-start; }
#mgx-graph { flex:3; overflow:auto; max-height:calc(100vh - 120px); background:#fff;
  border:1px solid var(--line); border-radius:8px; padding:6px; }
aside { flex:2; min-width:300px; max-width:560px; display:flex; flex-direction:column; gap:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.card h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted);
  margin:0 0 6px; }
#mgx-what { font-weight:600; margin-bottom:6px; }
.rule-words { color:var(--muted); }
.formula, .arith, .accum { font-family:"DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:13px;
  margin:4px 0; white-space:pre-wrap; }
.arith { background:var(--hot-bg); border-left:3px solid var(--hot); padding:4px 8px; }
.accum { background:#e7f5ff; border-left:3px solid var(--grad); padding:4px 8px; }
.fanout { margin-top:6px; padding:4px 8px; background:#fff3bf; border-left:3px solid #f59f00;
  font-size:13px; }
.n { font-weight:600; }
table { border-collapse:collapse; width:100%; font-size:12.5px; }
th, td { padding:2px 6px; text-align:left; border-bottom:1px solid #eef0f3; white-space:nowrap; }
th { color:var(--muted); font-weight:600; position:sticky; top:0; background:#fff; }
td.num { font-family:"DejaVu Sans Mono", Menlo, Consolas, monospace; text-align:right; }
tr.current td { background:var(--hot-bg); }
tr.source td { background:#f8f9fa; }
#mgx-trace-wrap { max-height:46vh; overflow:auto; }
svg text { font-family:-apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.node rect.box { stroke:#868e96; stroke-width:1; rx:6; }
.node.input rect.box { fill:var(--input); }
.node.param rect.box { fill:var(--param); stroke:#1c7ed6; }
.node.result rect.box { fill:var(--result); }
.node.output rect.box { fill:var(--output); stroke:#2b8a3e; }
.node.current rect.box { stroke:var(--hot); stroke-width:3; }
.node.source rect.box { stroke:#495057; stroke-width:2; stroke-dasharray:4 2; }
.node .lbl { font-weight:600; font-size:12px; }
.node .op { font-size:11px; fill:#a67c00; }
.node .val { font-size:11.5px; }
.node .grd { font-size:11.5px; fill:var(--grad); }
.node .pending { fill:#adb5bd; }
.edge { fill:none; stroke:#adb5bd; stroke-width:1.3; }
.cut-stub { stroke:#a61e1e; stroke-width:1.5; stroke-dasharray:3 3; }
.edge.current { stroke:var(--hot); stroke-width:3.2; }
footer { color:var(--muted); font-size:12px; padding:0 16px 12px; }
kbd { border:1px solid var(--line); border-bottom-width:2px; border-radius:4px; padding:0 4px;
  font-size:11px; }
"""

PAGE_SCRIPT = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("mgx-data").textContent);
var SVGNS = "http://www.w3.org/2000/svg";
var F = D.forward.length, B = D.steps.length, TOTAL = F + 1 + B;

function h(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function s(tag, attrs, text) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function num(v) {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  var t = v.toPrecision(6), parts = t.split("e");
  if (parts[0].indexOf(".") >= 0) parts[0] = parts[0].replace(/0+$/, "").replace(/\.$/, "");
  return parts.length > 1 ? parts[0] + "e" + parts[1] : parts[0];
}
function fmt(x) {
  if (x === null || x === undefined) return "\u2014";
  if (typeof x === "string") return x;
  if (typeof x === "number") return num(x);
  var head = x.head.map(fmt).join(", ");
  return "[" + head + (x.size > x.head.length ? ", \u2026" : "") + "] (" + x.shape.join("\u00d7") + ")";
}
function nameOf(i) {
  var n = D.nodes[i];
  return n.label ? n.label + " (" + n.name + ")" : n.name;
}

// ---- page skeleton ----
var header = h("header"), bar = h("div", "bar");
header.appendChild(h("h1", null, D.title));
var prev = h("button", null, "\u25c0"), next = h("button", null, "\u25b6");
prev.id = "mgx-prev"; next.id = "mgx-next";
prev.title = "previous step (\u2190)"; next.title = "next step (\u2192)";
var slider = h("input"); slider.type = "range"; slider.id = "mgx-slider";
slider.min = "0"; slider.max = String(TOTAL); slider.value = "0"; slider.setAttribute("aria-label", "step");
var phase = h("span", "phase"), count = h("span"); count.id = "mgx-count"; phase.id = "mgx-phase";
[prev, next, slider, count, phase].forEach(function (e) { bar.appendChild(e); });
header.appendChild(bar);
if (D.left_out > 0) {
  var cut = h("div", "note", "Showing the " + D.nodes.length + " nodes nearest the output: " + D.left_out +
    " of " + D.total_nodes + " nodes left out (max_nodes=" + D.max_nodes + ").");
  cut.id = "mgx-cut"; header.appendChild(cut);
}
document.body.appendChild(header);
var main = h("main"), graph = h("div"), aside = h("aside");
graph.id = "mgx-graph";
main.appendChild(graph); main.appendChild(aside);
document.body.appendChild(main);
var foot = h("footer");
foot.appendChild(document.createTextNode("Keys: "));
foot.appendChild(h("kbd", null, "\u2190")); foot.appendChild(document.createTextNode(" "));
foot.appendChild(h("kbd", null, "\u2192"));
foot.appendChild(document.createTextNode(" step, "));
foot.appendChild(h("kbd", null, "Home")); foot.appendChild(document.createTextNode(" / "));
foot.appendChild(h("kbd", null, "End"));
foot.appendChild(document.createTextNode(" first / last. Every number comes from microgradx's own " +
  "backward pass (mg.backward_steps); layout: " + D.layout.engine + "."));
document.body.appendChild(foot);

// ---- the graph ----
var L = D.layout, BW = L.box[0], BH = L.box[1];
var svg = s("svg", {width: L.width + 8, height: L.height + 8, role: "img",
  viewBox: "-4 -4 " + (L.width + 8) + " " + (L.height + 8)});
svg.id = "mgx-svg";
var defs = s("defs");
[["mgx-arrow", "#adb5bd"], ["mgx-arrow-hot", "#e8590c"]].forEach(function (m) {
  var mk = s("marker", {id: m[0], viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "9",
    markerHeight: "9", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse"});
  mk.appendChild(s("path", {d: "M0,0L10,5L0,10z", fill: m[1]}));
  defs.appendChild(mk);
});
svg.appendChild(defs);
var edgeEls = D.edges.map(function (e, i) {
  var p = s("path", {d: L.paths[i], "class": "edge", "marker-end": "url(#mgx-arrow)"});
  p.setAttribute("data-edge", String(i));
  svg.appendChild(p);
  return p;
});
var nodeEls = D.nodes.map(function (n, i) {
  var x = L.pos[i][0] - BW / 2, y = L.pos[i][1] - BH / 2;
  var g = s("g", {"class": "node " + n.kind, transform: "translate(" + x + "," + y + ")"});
  g.setAttribute("data-node", String(i));
  g.appendChild(s("title", {}, nameOf(i) + (n.op ? " = " + n.expr : "")));
  g.appendChild(s("rect", {"class": "box", width: BW, height: BH}));
  if (n.cut) {
    g.appendChild(s("path", {d: "M-22," + BH / 2 + "H-3", "class": "cut-stub"}));
    g.lastChild.appendChild(s("title", {}, "some inputs were left out of the picture"));
  }
  var title = n.label || n.name;
  if (title.length > 16) title = title.slice(0, 15) + "\u2026";
  g.appendChild(s("text", {"class": "lbl", x: 8, y: 16}, title));
  g.appendChild(s("text", {"class": "op", x: BW - 8, y: 16, "text-anchor": "end"}, n.op ? n.op : n.name));
  var val = s("text", {"class": "val", x: 8, y: 35}), grd = s("text", {"class": "grd", x: 8, y: 53});
  g.appendChild(val); g.appendChild(grd);
  svg.appendChild(g);
  return {g: g, val: val, grd: grd};
});
graph.appendChild(svg);
if (L.width + 8 <= 1.6 * graph.clientWidth) {   // small enough to shrink to fit instead of scrolling
  svg.style.maxWidth = "100%"; svg.style.height = "auto";
}

// ---- the step panel and the trace table ----
var card = h("section", "card"); card.id = "mgx-step";
card.appendChild(h("h2", null, "This step"));
var what = h("div"); what.id = "mgx-what";
var ruleWords = h("div", "rule-words"), formula = h("div", "formula"), arith = h("div", "arith");
var accum = h("div", "accum"), fan = h("div", "fanout");
ruleWords.id = "mgx-rule-words"; formula.id = "mgx-formula"; arith.id = "mgx-arith"; accum.id = "mgx-accum";
fan.id = "mgx-fanout";
[what, ruleWords, formula, arith, accum, fan].forEach(function (e) { card.appendChild(e); });
aside.appendChild(card);
var tcard = h("section", "card");
tcard.appendChild(h("h2", null, "Evaluation trace (primal and adjoint)"));
var wrap = h("div"); wrap.id = "mgx-trace-wrap";
var table = h("table"); table.id = "mgx-trace";
var thead = h("thead"), hr = h("tr");
["v", "label", "computes", "value", "adjoint v\u0304"].forEach(function (t) {
  hr.appendChild(h("th", null, t));
});
thead.appendChild(hr); table.appendChild(thead);
var tbody = h("tbody");
var rowEls = D.nodes.map(function (n, i) {
  var tr = h("tr");
  tr.setAttribute("data-row", String(i));
  tr.appendChild(h("td", null, n.name));
  tr.appendChild(h("td", null, n.label));
  tr.appendChild(h("td", null, n.op ? n.expr : "input"));
  var v = h("td", "num"), a = h("td", "num");
  tr.appendChild(v); tr.appendChild(a);
  tbody.appendChild(tr);
  return {tr: tr, val: v, adj: a};
});
table.appendChild(tbody); wrap.appendChild(table); tcard.appendChild(wrap);
aside.appendChild(tcard);

// ---- state at a position: what is computed, which gradients have arrived ----
var computedAt = D.nodes.map(function () { return 0; });
D.forward.forEach(function (i, k) { computedAt[i] = k + 1; });

function span(id, text) { var e = h("span", "n", text); e.id = id; return e; }
function line(el, parts) {
  el.textContent = "";
  parts.forEach(function (p) { el.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
}

function render(pos) {
  pos = Math.max(0, Math.min(TOTAL, pos));
  slider.value = String(pos);
  var grads = D.nodes.map(function () { return null; });
  var b = pos - F - 2;             // index of the current backward step; -1: the seed
  if (b >= -1) grads[D.output] = D.seed;
  for (var k = 0; k <= b; k++) grads[D.steps[k].input] = D.steps[k].after;
  var curNode = -1, srcNode = -1, curEdge = -1;
  if (pos >= 1 && pos <= F) curNode = D.forward[pos - 1];
  else if (b === -1) curNode = D.output;
  else if (b >= 0) {
    curNode = D.steps[b].input;
    srcNode = D.steps[b].node === null ? -1 : D.steps[b].node;          // null: a node left out
    curEdge = D.steps[b].edge === null ? -1 : D.steps[b].edge;
  }
  D.nodes.forEach(function (n, i) {
    var el = nodeEls[i], done = computedAt[i] <= pos;
    el.val.textContent = "value " + (done ? fmt(n.value) : "?");
    el.val.setAttribute("class", done ? "val" : "val pending");
    el.grd.textContent = "grad " + (grads[i] === null ? "\u2014" : fmt(grads[i]));
    el.grd.setAttribute("class", grads[i] === null ? "grd pending" : "grd");
    var cls = "node " + n.kind + (i === curNode ? " current" : "") + (i === srcNode ? " source" : "");
    el.g.setAttribute("class", cls);
    rowEls[i].val.textContent = done ? fmt(n.value) : "";
    rowEls[i].adj.textContent = grads[i] === null ? "" : fmt(grads[i]);
    rowEls[i].tr.className = i === curNode ? "current" : (i === srcNode ? "source" : "");
  });
  edgeEls.forEach(function (e, i) {
    var hot = i === curEdge;
    e.setAttribute("class", hot ? "edge current" : "edge");
    e.setAttribute("marker-end", hot ? "url(#mgx-arrow-hot)" : "url(#mgx-arrow)");
  });
  if (curEdge >= 0) svg.appendChild(edgeEls[curEdge]);     // drawn on top
  count.textContent = "step " + pos + " of " + TOTAL;
  [ruleWords, formula, arith, accum, fan].forEach(function (e) {
    e.textContent = ""; e.style.display = "none";
  });
  function show(e) { e.style.display = ""; }
  if (pos === 0) {
    phase.textContent = "start"; phase.className = "phase";
    what.textContent = "The inputs. Press \u25b6 (or \u2192) to run the forward pass, " +
      "then the backward pass.";
  } else if (pos <= F) {
    var n = D.nodes[curNode];
    phase.textContent = "forward " + pos + "/" + F; phase.className = "phase forward";
    what.textContent = "Forward: " + nameOf(curNode) + " = " + n.expr;
    line(arith, [n.name + " = " + n.expr + " = ", span("mgx-value", fmt(n.value))]); show(arith);
  } else if (b === -1) {
    phase.textContent = "backward: seed"; phase.className = "phase backward";
    what.textContent = "Backward starts at the output " + nameOf(D.output) + ".";
    line(formula, ["d out/d out = 1"]); show(formula);
    line(accum, ["grad of " + nameOf(D.output) + " = ", span("mgx-after", fmt(D.seed))]); show(accum);
  } else {
    var st = D.steps[b], op = st.node === null ? st.op : D.nodes[st.node].op;
    var rule = D.rules[op] || {words: "", formulas: []};
    var from = st.node === null ? "a node left out of the picture (" + op + ")" : nameOf(st.node);
    phase.textContent = "backward " + (b + 1) + "/" + B; phase.className = "phase backward";
    what.textContent = "Backward: " + from + " sends its gradient to its input " +
      nameOf(st.input);
    ruleWords.textContent = op + ": " + rule.words; show(ruleWords);
    formula.textContent = rule.formulas[st.rule] || ""; show(formula);
    if (st.local !== null) {
      line(arith, ["upstream \u00d7 local = contribution\n", span("mgx-up", fmt(st.up)), " \u00d7 ",
        span("mgx-local", fmt(st.local)), " = ", span("mgx-contrib", fmt(st.contrib))]);
    } else {
      line(arith, ["upstream ", span("mgx-up", fmt(st.up)),
        "\n\u2192 vector-Jacobian product \u2192 contribution ", span("mgx-contrib", fmt(st.contrib))]);
    }
    show(arith);
    line(accum, ["grad of " + nameOf(st.input) + " so far: ", span("mgx-before", fmt(st.before)), " + ",
      fmt(st.contrib), " = ", span("mgx-after", fmt(st.after))]);
    show(accum);
    if (st.n > 1) {
      fan.textContent = st.k > 1
        ? "Fan-out: " + nameOf(st.input) + " is used more than once, so this is contribution " + st.k +
          " of " + st.n + " to its gradient; the contributions add up."
        : nameOf(st.input) + " is used more than once (fan-out): this is contribution 1 of " + st.n +
          "; the others will be added to it.";
      show(fan);
    }
  }
  what.setAttribute("data-pos", String(pos));
  var cur = curNode >= 0 ? nodeEls[curNode].g : null;
  if (cur && cur.scrollIntoView) cur.scrollIntoView({block: "nearest", inline: "nearest"});
  if (curNode >= 0) rowEls[curNode].tr.scrollIntoView({block: "nearest"});
}

var at = 0;
function go(p) { at = Math.max(0, Math.min(TOTAL, p)); render(at); }
prev.addEventListener("click", function () { go(at - 1); });
next.addEventListener("click", function () { go(at + 1); });
slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
document.addEventListener("keydown", function (e) {
  if (e.target === slider) return;          // the slider moves itself
  var to = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TOTAL}[e.key];
  if (to === undefined) return;
  e.preventDefault();
  go(to);
});
go(0);
})();
"""
