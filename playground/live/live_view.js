// The live view, drawn in place: canvas charts fed by compact frames from the app's own route.
// Mounted by playground/live/component.py (Streamlit components v2, no iframe). The page
// embeds the scene (what stays fixed) and a first reply, so the first paint needs no round
// trip; the browser then polls the feed and redraws only what a new frame changed. Nothing is
// ever re-mounted, so nothing blanks or fades while a network trains.

const ORANGE = [245, 147, 34];
const BLUE = [8, 119, 189];
const WHITE = [255, 255, 255];
const TRAIN_OUTLINE = "#ffffff";
const TEST_OUTLINE = "#1a1a1a";
const INK = "#333333";
const MUTED = "#888888";
const FONT = "12px Helvetica Neue, Helvetica, Arial, sans-serif";
const SMALL = "10px Helvetica Neue, Helvetica, Arial, sans-serif";
const MAX_DRAWN_POINTS = 2000;

// byte b -> t = b/127.5 - 1 -> orange..white..blue
const DIVERGING = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let b = 0; b < 256; b++) {
    const t = b / 127.5 - 1;
    const end = t < 0 ? ORANGE : BLUE;
    const a = Math.min(1, Math.abs(t));
    for (let k = 0; k < 3; k++) lut[b * 3 + k] = Math.round(WHITE[k] + a * (end[k] - WHITE[k]));
  }
  return lut;
})();

function hexRgb(hex) {
  const h = hex.replace("#", "");
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

function decode(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function fmtLoss(v) {
  if (v === null || v === undefined) return "—";
  return Math.abs(v) < 1e4 ? v.toFixed(4) : v.toPrecision(4);
}
function fmtPct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(1) + "%"; }
function fmtInt(v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US"); }

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// A canvas that keeps its backing store at the device pixel ratio and redraws on resize.
class Surface {
  constructor(parent, cls, height, onResize, square = false) {
    this.box = el("div", "surface " + cls, parent);
    this.canvas = el("canvas", "", this.box);
    this.height = height;
    this.square = square;
    this.onResize = onResize;
    this.width = 0;
    this.drawn = false;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this.box);
  }
  resize() {
    const w = Math.max(120, Math.floor(this.box.clientWidth));
    const h = this.square ? Math.min(w, this.height) : this.height;
    if (w === this.width && h === this.h) return;
    const dpr = window.devicePixelRatio || 1;
    this.width = w; this.h = h;
    this.canvas.width = Math.round(w * dpr); this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = w + "px"; this.canvas.style.height = h + "px";
    this.ctx = this.canvas.getContext("2d");
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.onResize();
  }
  clear() {
    if (!this.ctx) this.resize();
    this.ctx.clearRect(0, 0, this.width, this.h);
    this.ctx.fillStyle = "#ffffff";
    this.ctx.fillRect(0, 0, this.width, this.h);
  }
  mark() { this.drawn = true; this.box.dataset.drawn = "1"; }
  destroy() { this.observer.disconnect(); }
}

// ----------------------------------------------------------------------------- tooltip
class Tip {
  constructor(parent) { this.node = el("div", "tip", parent); this.hide(); }
  show(x, y, text) {
    this.node.textContent = text;
    this.node.style.display = "block";
    const pw = this.node.parentElement.clientWidth;
    const w = this.node.offsetWidth;
    this.node.style.left = Math.max(0, Math.min(pw - w - 4, x + 12)) + "px";
    this.node.style.top = (y + 14) + "px";
  }
  hide() { this.node.style.display = "none"; }
}

function localXY(evt, canvas, host) {
  const r = canvas.getBoundingClientRect();
  const hr = host.getBoundingClientRect();
  return { x: evt.clientX - r.left, y: evt.clientY - r.top, hx: evt.clientX - hr.left, hy: evt.clientY - hr.top };
}

// ----------------------------------------------------------------------------- curves
class Curves {
  // panels: [{title, log, percent, series: [{run, key, label, color}]}]; keys: columns of rows
  constructor(parent, panels, keys, runs, tip, host) {
    this.panels = panels; this.keys = keys; this.tip = tip; this.host = host;
    this.data = Array.from({ length: runs }, () => []);
    this.surfaces = panels.map((p, i) => {
      const s = new Surface(parent, "curve", 200, () => this.draw(i));
      s.box.dataset.panel = p.title;
      s.canvas.addEventListener("mousemove", (e) => this.hover(i, e));
      s.canvas.addEventListener("mouseleave", () => { this.hoverX = null; this.tip.hide(); this.draw(i); });
      return s;
    });
    this.hoverX = null;
  }
  append(from, rows) {
    rows.forEach((r, run) => {
      if (!r) return;
      const start = from[run] || 0;
      const d = this.data[run];
      if (start < d.length) d.length = start;   // a new run or a reset: start over
      for (const row of r) d.push(row);
    });
  }
  column(key) { return this.keys.indexOf(key) + 1; }
  layout(i) {
    const s = this.surfaces[i];
    return { left: 52, right: s.width - 10, top: 24, bottom: s.h - 26 };
  }
  ranges(i) {
    const p = this.panels[i];
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    for (const sr of p.series) {
      const c = this.column(sr.key);
      for (const row of this.data[sr.run] || []) {
        const y = row[c];
        if (y === null || y === undefined || (p.log && y <= 0)) continue;
        xmin = Math.min(xmin, row[0]); xmax = Math.max(xmax, row[0]);
        ymin = Math.min(ymin, y); ymax = Math.max(ymax, y);
      }
    }
    if (!isFinite(xmin)) return null;
    if (p.percent) { ymin = 0; ymax = 1; }
    else if (p.log) { ymin = Math.log10(ymin); ymax = Math.log10(ymax); }
    else { ymin = Math.min(0, ymin); }
    if (ymax - ymin < 1e-9) { ymax = ymin + (p.log ? 1 : Math.max(1e-3, Math.abs(ymin) * 0.1 + 1e-3)); }
    if (!p.percent) ymax += (ymax - ymin) * 0.05;
    if (xmax - xmin < 1) { xmin -= 0.5; xmax += 0.5; }  // one epoch: a centred point
    return { xmin, xmax, ymin, ymax };
  }
  drawAll() { this.surfaces.forEach((_, i) => this.draw(i)); }
  draw(i) {
    const s = this.surfaces[i], p = this.panels[i];
    s.clear();
    const ctx = s.ctx, L = this.layout(i), R = this.ranges(i);
    ctx.font = FONT; ctx.fillStyle = INK; ctx.textBaseline = "top"; ctx.textAlign = "left";
    ctx.fillText(p.title + (p.log ? " (log scale)" : ""), L.left, 4);
    // legend
    let lx = s.width - 10;
    ctx.textAlign = "right";
    for (const sr of [...p.series].reverse()) {
      const w = ctx.measureText(sr.label).width;
      ctx.fillStyle = INK; ctx.fillText(sr.label, lx, 5);
      ctx.fillStyle = sr.color; ctx.fillRect(lx - w - 16, 10, 12, 3);
      lx -= w + 26;
    }
    ctx.textAlign = "left";
    ctx.strokeStyle = "#dddddd"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(L.left, L.bottom + 0.5); ctx.lineTo(L.right, L.bottom + 0.5); ctx.stroke();
    if (!R) {
      ctx.fillStyle = MUTED; ctx.textAlign = "center";
      ctx.fillText("no data yet: train to see the curves", (L.left + L.right) / 2, (L.top + L.bottom) / 2);
      ctx.textAlign = "left";
      s.mark();
      return;
    }
    const X = (x) => L.left + (x - R.xmin) / (R.xmax - R.xmin) * (L.right - L.left);
    const Y = (y) => L.bottom - ((p.log ? Math.log10(y) : y) - R.ymin) / (R.ymax - R.ymin) * (L.bottom - L.top);
    // y ticks
    ctx.font = SMALL; ctx.fillStyle = MUTED; ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let k = 0; k <= 4; k++) {
      const v = R.ymin + (R.ymax - R.ymin) * k / 4;
      const y = L.bottom - (L.bottom - L.top) * k / 4;
      ctx.strokeStyle = "#f0f0f0"; ctx.beginPath(); ctx.moveTo(L.left, y); ctx.lineTo(L.right, y); ctx.stroke();
      const shown = p.percent ? Math.round(v * 100) + "%" : p.log ? Math.pow(10, v).toPrecision(2) : (Math.abs(v) >= 100 ? v.toPrecision(3) : v.toFixed(Math.abs(v) < 1 ? 3 : 2));
      ctx.fillText(shown, L.left - 4, y);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const ticks = new Set();
    for (let k = 0; k <= 4; k++) ticks.add(Math.round(R.xmin + (R.xmax - R.xmin) * k / 4));
    for (const v of ticks) {
      if (v < R.xmin || v > R.xmax) continue;
      ctx.fillText(v.toLocaleString("en-US"), Math.min(L.right - 8, X(v)), L.bottom + 4);
    }
    ctx.fillText("epoch", (L.left + L.right) / 2, L.bottom + 14);
    // series
    for (const sr of p.series) {
      const c = this.column(sr.key), d = this.data[sr.run] || [];
      const step = Math.max(1, Math.ceil(d.length / MAX_DRAWN_POINTS));
      ctx.strokeStyle = sr.color; ctx.lineWidth = 2; ctx.beginPath();
      let started = false, count = 0;
      for (let j = 0; j < d.length; j += (j + step < d.length || j === d.length - 1) ? step : d.length - 1 - j) {
        const y = d[j][c];
        if (y === null || y === undefined || (p.log && y <= 0)) { if (j === d.length - 1) break; continue; }
        const py = Math.max(L.top - 4, Math.min(L.bottom, Y(y)));
        if (!started) { ctx.moveTo(X(d[j][0]), py); started = true; } else ctx.lineTo(X(d[j][0]), py);
        count++;
        if (j === d.length - 1) break;
      }
      ctx.stroke();
      if (count <= 30) {
        ctx.fillStyle = sr.color;
        for (const row of d) {
          const y = row[c];
          if (y === null || y === undefined || (p.log && y <= 0)) continue;
          ctx.beginPath(); ctx.arc(X(row[0]), Math.max(L.top - 4, Math.min(L.bottom, Y(y))), 2.5, 0, 2 * Math.PI); ctx.fill();
        }
      }
    }
    if (this.hoverX !== null && this.hoverPanel === i) {
      ctx.strokeStyle = "#bbbbbb"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(this.hoverX, L.top); ctx.lineTo(this.hoverX, L.bottom); ctx.stroke();
    }
    s.mark();
  }
  hover(i, evt) {
    const s = this.surfaces[i], p = this.panels[i], L = this.layout(i), R = this.ranges(i);
    if (!R) return;
    const pos = localXY(evt, s.canvas, this.host);
    const x = R.xmin + (pos.x - L.left) / (L.right - L.left) * (R.xmax - R.xmin);
    const parts = [];
    let epoch = null;
    for (const sr of p.series) {
      const d = this.data[sr.run] || [];
      if (!d.length) continue;
      let best = d[0];
      for (const row of d) if (Math.abs(row[0] - x) < Math.abs(best[0] - x)) best = row;
      epoch = best[0];
      const v = best[this.column(sr.key)];
      parts.push(sr.label + " " + (p.percent ? fmtPct(v) : fmtLoss(v)));
    }
    if (epoch === null) return;
    this.hoverX = L.left + (epoch - R.xmin) / (R.xmax - R.xmin) * (L.right - L.left);
    this.hoverPanel = i;
    this.draw(i);
    this.tip.show(pos.hx, pos.hy, "epoch " + fmtInt(epoch) + " · " + parts.join(" · "));
  }
  destroy() { this.surfaces.forEach((s) => s.destroy()); }
}

// ----------------------------------------------------------------------------- counters
class Counters {
  constructor(parent, items) {
    this.row = el("div", "counters", parent);
    this.cells = items.map(([label, fmt, pick]) => {
      const cell = el("div", "counter", this.row);
      el("div", "label", cell, label);
      const value = el("div", "value", cell, "—");
      value.dataset.counter = label;
      return { value, fmt, pick };
    });
  }
  update(counters) {
    for (const c of this.cells) c.value.textContent = c.fmt(c.pick(counters));
  }
}

// ----------------------------------------------------------------------------- heatmap helpers
function diverging(bytes, n, m, discretize) {
  // bytes: rows of the grid from y = domain min upwards; image rows go top-down.
  const img = new ImageData(n, m);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let b = bytes[(m - 1 - r) * n + c];
      if (discretize) b = b >= 128 ? 204 : 51;
      const o = (r * n + c) * 4;
      img.data[o] = DIVERGING[b * 3]; img.data[o + 1] = DIVERGING[b * 3 + 1];
      img.data[o + 2] = DIVERGING[b * 3 + 2]; img.data[o + 3] = 255;
    }
  }
  return img;
}

function classImage(cls, conf, n, colors, k, discretize) {
  const img = new ImageData(n, n);
  const rgbs = colors.map(hexRgb);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const i = (n - 1 - r) * n + c;
      const col = rgbs[cls[i] % rgbs.length];
      let s = discretize ? 0.6 : Math.max(0, (conf[i] / 255 - 1 / k) / (1 - 1 / k));
      s = Math.min(1, s) * 0.85;
      const o = (r * n + c) * 4;
      for (let q = 0; q < 3; q++) img.data[o + q] = Math.round(255 + s * (col[q] - 255));
      img.data[o + 3] = 255;
    }
  }
  return img;
}

function bitmap(img) {
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  c.getContext("2d").putImageData(img, 0, 0);
  return c;
}

// ----------------------------------------------------------------------------- playground
class PlaygroundView {
  constructor(root, scene, host, tip) {
    this.scene = scene; this.host = host; this.tip = tip;
    this.frame = null; this.hoverNode = null; this.hoverLink = null;
    const s = scene;
    const acc = s.task !== "regression";
    const items = [
      ["Epoch", fmtInt, (c) => c.epoch], ["Step", fmtInt, (c) => c.step],
      ["Train loss", fmtLoss, (c) => c.metrics.train_loss],
      ["Test loss", fmtLoss, (c) => c.metrics.test_loss],
    ];
    if (acc) items.push(["Test accuracy", fmtPct, (c) => c.metrics.test_accuracy]);
    this.counters = new Counters(root, items);
    const cols = el("div", "cols", root);
    const left = el("div", "col left", cols), right = el("div", "col right", cols);
    const rows = Math.max(...s.shown), more = s.sizes.some((v, i) => v > s.shown[i]);
    this.net = new Surface(left, "network", Math.max(220, Math.min(430, 70 + rows * 52 + (more ? 16 : 0))), () => this.drawNetwork());
    this.net.canvas.addEventListener("mousemove", (e) => this.hoverNet(e));
    this.net.canvas.addEventListener("mouseleave", () => this.leaveNet());
    this.out = new Surface(right, "output", 400, () => this.drawOutput(), true);
    this.out.canvas.addEventListener("mousemove", (e) => this.hoverOut(e));
    this.out.canvas.addEventListener("mouseleave", () => this.tip.hide());
    this.outCaption = el("div", "caption", right, "");
    const lossPanel = s.curves.slice(0, 1), accPanel = s.curves.slice(1);
    this.curves = [new Curves(left, lossPanel, s.curve_keys, 1, tip, host)];
    if (accPanel.length) this.curves.push(new Curves(right, accPanel, s.curve_keys, 1, tip, host));
    this.inputs = (s.inputs || []).map((b) => bitmap(diverging(decode(b), s.thumb, s.thumb, false)));
  }
  apply(reply) {
    this.frame = reply.frame;
    for (const c of this.curves) { c.append(reply.from, reply.rows); c.drawAll(); }
    this.counters.update(reply.frame.counters);
    const f = reply.frame, s = this.scene;
    if (f.nodes) {
      this.nodeImgs = f.nodes.map((layer) => layer.map((b) => bitmap(diverging(decode(b), s.thumb, s.thumb, false))));
    }
    if (f.boundary) {
      if (s.task === "multiclass") {
        this.boundary = bitmap(classImage(decode(f.boundary.cls), decode(f.boundary.conf), s.grid, s.colors, s.classes.length, s.discretize));
      } else {
        this.boundary = bitmap(diverging(decode(f.boundary.val), s.grid, s.grid, s.discretize));
      }
    }
    this.drawNetwork();
    this.drawOutput();
  }
  // --- network diagram
  geometry() {
    const s = this.scene, W = this.net.width, H = this.net.h;
    const n = s.shown.length, rows = Math.max(...s.shown);
    const more = s.sizes.some((v, i) => v > s.shown[i]);
    const top = 34, bottom = H - (more ? 24 : 8);
    const pitch = Math.min(60, (bottom - top) / rows);
    const node = Math.max(8, Math.min(44, pitch * 0.78));
    const padL = 44, padR = s.task === "multiclass" ? 70 : 44;
    const xs = s.shown.map((_, i) => n === 1 ? W / 2 : padL + node / 2 + i * (W - padL - padR - node) / (n - 1));
    const mid = (top + bottom) / 2;
    const ys = s.shown.map((k) => Array.from({ length: k }, (_, j) => mid + (j - (k - 1) / 2) * pitch));
    return { xs, ys, node, top, bottom };
  }
  drawNetwork() {
    if (!this.net.ctx) this.net.resize();
    const s = this.scene, f = this.frame, ctx = this.net.ctx;
    this.net.clear();
    if (!f) return;
    const g = this.geometry();
    this.geo = g;
    // links
    let maxAbs = 1e-9;
    for (const layer of f.weights) for (const row of layer) for (const w of row) maxAbs = Math.max(maxAbs, Math.abs(w));
    this.maxAbs = maxAbs;
    f.weights.forEach((layer, i) => {
      layer.forEach((row, d) => row.forEach((w, src) => {
        const t = Math.abs(w) / maxAbs;
        const hl = this.hoverLink && this.hoverLink.i === i && this.hoverLink.d === d && this.hoverLink.s === src;
        ctx.strokeStyle = `rgba(${(w >= 0 ? BLUE : ORANGE).join(",")},${hl ? 1 : 0.25 + 0.65 * t})`;
        ctx.lineWidth = hl ? 2 + 5 * t : 0.6 + 4.4 * t;
        const x0 = g.xs[i] + g.node / 2, y0 = g.ys[i][src], x1 = g.xs[i + 1] - g.node / 2, y1 = g.ys[i + 1][d];
        const mx = (x0 + x1) / 2;
        ctx.beginPath(); ctx.moveTo(x0, y0); ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1); ctx.stroke();
      }));
    });
    // nodes
    ctx.font = SMALL; ctx.textBaseline = "middle";
    s.shown.forEach((k, i) => {
      for (let j = 0; j < k; j++) {
        const x = g.xs[i] - g.node / 2, y = g.ys[i][j] - g.node / 2;
        const img = i === 0 ? this.inputs[j] : (this.nodeImgs && this.nodeImgs[i - 1] ? this.nodeImgs[i - 1][j] : null);
        ctx.fillStyle = "#ffffff"; ctx.fillRect(x, y, g.node, g.node);
        if (img) { ctx.imageSmoothingEnabled = true; ctx.drawImage(img, x, y, g.node, g.node); }
        const hov = this.hoverNode && this.hoverNode.i === i && this.hoverNode.j === j;
        ctx.strokeStyle = hov ? "#000000" : "#777777"; ctx.lineWidth = hov ? 2 : 1;
        ctx.strokeRect(x + 0.5, y + 0.5, g.node - 1, g.node - 1);
        if (i === 0) { ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(s.names[0][j] || "", x - 4, g.ys[i][j]); }
        if (i === s.shown.length - 1 && s.task === "multiclass") {
          ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.fillText(s.names[i][j] || "", x + g.node + 4, g.ys[i][j]);
        }
      }
      ctx.textAlign = "center"; ctx.fillStyle = INK; ctx.font = SMALL;
      const title = s.titles[i] || "", spacing = g.xs.length > 1 ? g.xs[1] - g.xs[0] : 999;
      if (spacing < 80 && title.includes(" · ")) {  // narrow (a phone): two short lines
        const [a, b] = title.split(" · ");
        ctx.fillText(a, g.xs[i], 6); ctx.fillText(b, g.xs[i], 18);
      } else ctx.fillText(title, g.xs[i], 12);
      if (s.sizes[i] > k) { ctx.fillStyle = MUTED; ctx.fillText("+" + (s.sizes[i] - k) + " more", g.xs[i], g.bottom + 14); }
    });
    this.net.mark();
  }
  hitNode(x, y) {
    const g = this.geo; if (!g) return null;
    for (let i = 0; i < g.xs.length; i++) {
      if (Math.abs(x - g.xs[i]) > g.node / 2) continue;
      for (let j = 0; j < g.ys[i].length; j++) if (Math.abs(y - g.ys[i][j]) <= g.node / 2) return { i, j };
    }
    return null;
  }
  hitLink(x, y) {
    const g = this.geo, f = this.frame; if (!g || !f) return null;
    let best = null, bestD = 5;
    f.weights.forEach((layer, i) => {
      const x0 = g.xs[i] + g.node / 2, x1 = g.xs[i + 1] - g.node / 2;
      if (x < x0 || x > x1) return;
      // the bezier's y at x, found by bisection on its parameter (x(t) is monotone)
      const mx = (x0 + x1) / 2;
      let lo = 0, hi = 1;
      for (let it = 0; it < 18; it++) {
        const t = (lo + hi) / 2, u = 1 - t;
        const bx = u * u * u * x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * x1;
        if (bx < x) lo = t; else hi = t;
      }
      const t = (lo + hi) / 2, u = 1 - t, a = u * u * u + 3 * u * u * t, b = 3 * u * t * t + t * t * t;
      layer.forEach((row, d) => row.forEach((w, src) => {
        const by = a * g.ys[i][src] + b * g.ys[i + 1][d];
        const dist = Math.abs(by - y);
        if (dist < bestD) { bestD = dist; best = { i, d, s: src, w }; }
      }));
    });
    return best;
  }
  hoverNet(evt) {
    const pos = localXY(evt, this.net.canvas, this.host), s = this.scene, f = this.frame;
    const node = this.hitNode(pos.x, pos.y);
    const link = node ? null : this.hitLink(pos.x, pos.y);
    const changed = JSON.stringify(node) !== JSON.stringify(this.hoverNode) || JSON.stringify(link) !== JSON.stringify(this.hoverLink);
    this.hoverNode = node; this.hoverLink = link;
    if (node) {
      const name = s.names[node.i][node.j];
      let text;
      if (node.i === 0) text = `input ${name}: its value over the plane (orange negative, blue positive)`;
      else {
        const last = node.i === s.shown.length - 1;
        const act = s.activations[node.i];
        const bias = f && f.biases[node.i - 1] ? f.biases[node.i - 1][node.j] : null;
        text = (last ? `output ${name}` : `neuron ${name}`) + ` · ${act || "linear"} · bias ${bias === null ? "—" : bias.toFixed(3)}` +
          (s.one_d ? "" : " — its output over the plane is shown on the right");
      }
      this.tip.show(pos.hx, pos.hy, text);
    } else if (link) {
      const from = s.names[link.i][link.s], to = s.names[link.i + 1][link.d];
      this.tip.show(pos.hx, pos.hy, `weight ${link.w.toFixed(3)} (${from} → ${to})`);
    } else this.tip.hide();
    if (changed) { this.drawNetwork(); this.drawOutput(); }
  }
  leaveNet() { this.hoverNode = null; this.hoverLink = null; this.tip.hide(); this.drawNetwork(); this.drawOutput(); }
  // --- output: boundary with points (2-D) or the fitted curve (1-D)
  plotBox() {
    const W = this.out.width, H = this.out.h;
    const size = Math.min(W - 40, H - 30);
    return { x: 30, y: 6, size };
  }
  drawOutput() {
    if (!this.out.ctx) this.out.resize();
    const s = this.scene, ctx = this.out.ctx;
    this.out.clear();
    if (!this.frame) return;
    if (s.one_d) return this.drawCurve();
    const b = this.plotBox();
    let image = this.boundary, caption = "";
    const hn = this.hoverNode;
    if (hn) {
      if (hn.i === 0) image = this.inputs[hn.j];
      else if (this.nodeImgs && this.nodeImgs[hn.i - 1]) image = this.nodeImgs[hn.i - 1][hn.j];
      caption = "showing " + (hn.i === 0 ? "input " : "") + s.names[hn.i][hn.j] + " — move off the node to see the output";
    }
    this.outCaption.textContent = caption;
    if (image) {
      // the output is drawn lighter, as in TensorFlow Playground, so the points stay visible
      ctx.globalAlpha = hn ? 1 : 0.72;
      ctx.imageSmoothingEnabled = !s.discretize || !!hn;
      ctx.drawImage(image, b.x, b.y, b.size, b.size);
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = "#cccccc"; ctx.lineWidth = 1; ctx.strokeRect(b.x + 0.5, b.y + 0.5, b.size - 1, b.size - 1);
    const [lo, hi] = s.domain;
    const P = (vx, vy) => [b.x + (vx - lo) / (hi - lo) * b.size, b.y + (hi - vy) / (hi - lo) * b.size];
    const colors = s.colors.map(hexRgb);
    const drawSet = (pts, outline) => {
      if (!pts || !pts.x) return;
      ctx.lineWidth = 1; ctx.strokeStyle = outline;
      for (let k = 0; k < pts.x.length; k++) {
        const [px, py] = P(pts.x[k], pts.y[k]);
        let rgb;
        if (s.task === "regression") { const v = Math.max(-1, Math.min(1, pts.v[k])); const bb = Math.round((v + 1) * 127.5); rgb = [DIVERGING[bb * 3], DIVERGING[bb * 3 + 1], DIVERGING[bb * 3 + 2]]; }
        else rgb = colors[pts.c[k] % colors.length];
        ctx.fillStyle = `rgb(${rgb.join(",")})`;
        ctx.beginPath(); ctx.arc(px, py, 3.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      }
    };
    drawSet(s.train, TRAIN_OUTLINE);
    if (s.show_test) drawSet(s.test, TEST_OUTLINE);
    ctx.font = SMALL; ctx.fillStyle = MUTED; ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of [lo, (lo + hi) / 2, hi]) ctx.fillText(String(Math.round(v * 10) / 10), P(v, lo)[0], b.y + b.size + 3);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of [lo, (lo + hi) / 2, hi]) ctx.fillText(String(Math.round(v * 10) / 10), b.x - 3, P(lo, v)[1]);
    this.out.mark();
  }
  drawCurve() {
    const s = this.scene, ctx = this.out.ctx, f = this.frame;
    const W = this.out.width, H = this.out.h, L = { l: 40, r: W - 10, t: 10, b: H - 24 };
    const [lo, hi] = s.domain, vb = s.value_bound * 1.25;
    const X = (x) => L.l + (x - lo) / (hi - lo) * (L.r - L.l), Y = (y) => L.b - (y + vb) / (2 * vb) * (L.b - L.t);
    ctx.strokeStyle = "#eeeeee"; ctx.beginPath(); ctx.moveTo(L.l, Y(0)); ctx.lineTo(L.r, Y(0)); ctx.stroke();
    const drawPts = (pts, outline) => {
      ctx.strokeStyle = outline;
      for (let k = 0; k < pts.x.length; k++) {
        const bb = Math.round((Math.max(-1, Math.min(1, pts.v[k])) + 1) * 127.5);
        ctx.fillStyle = `rgb(${DIVERGING[bb * 3]},${DIVERGING[bb * 3 + 1]},${DIVERGING[bb * 3 + 2]})`;
        ctx.beginPath(); ctx.arc(X(pts.x[k]), Y(pts.t[k]), 3.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      }
    };
    drawPts(s.train, "#666666");
    if (s.show_test) drawPts(s.test, TEST_OUTLINE);
    ctx.strokeStyle = INK; ctx.lineWidth = 2.5; ctx.beginPath();
    f.curve.forEach((y, k) => { const px = X(s.curve_x[k]), py = Math.max(L.t, Math.min(L.b, Y(y))); if (k) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
    ctx.stroke();
    ctx.font = SMALL; ctx.fillStyle = MUTED; ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of [lo, 0, hi]) ctx.fillText(String(v), X(v), L.b + 4);
    this.out.mark();
  }
  hoverOut(evt) {
    const s = this.scene; if (s.one_d || !this.frame || !this.frame.boundary) return;
    const pos = localXY(evt, this.out.canvas, this.host), b = this.plotBox();
    const [lo, hi] = s.domain;
    const fx = (pos.x - b.x) / b.size, fy = (pos.y - b.y) / b.size;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) { this.tip.hide(); return; }
    const n = s.grid, c = Math.min(n - 1, Math.floor(fx * n)), r = Math.min(n - 1, Math.floor((1 - fy) * n));
    const x1 = lo + fx * (hi - lo), x2 = hi - fy * (hi - lo);
    let text = `(${x1.toFixed(2)}, ${x2.toFixed(2)}) · `;
    const fb = this.frame.boundary;
    if (s.task === "multiclass") text += `${s.classes[decode(fb.cls)[r * n + c]]} (${Math.round(decode(fb.conf)[r * n + c] / 2.55)}%)`;
    else {
      const t = decode(fb.val)[r * n + c] / 127.5 - 1;
      text += s.task === "binary" ? `P(${s.classes[1] || "class 1"}) = ${((t + 1) / 2).toFixed(2)}` : `prediction ${(t * s.value_bound).toFixed(3)}`;
    }
    this.tip.show(pos.hx, pos.hy, text);
  }
  destroy() { this.net.destroy(); this.out.destroy(); this.curves.forEach((c) => c.destroy()); }
}

// ----------------------------------------------------------------------------- images
class ImagesView {
  constructor(root, scene, host, tip) {
    this.scene = scene;
    this.progress = el("div", "progress", root);
    this.bar = el("div", "bar", this.progress);
    this.ptext = el("div", "ptext", this.progress, "");
    this.counters = new Counters(root, [
      ["Train loss", fmtLoss, (c) => c.metrics.train_loss],
      ["Validation loss", fmtLoss, (c) => c.metrics.val_loss],
      ["Train accuracy", fmtPct, (c) => c.metrics.train_accuracy],
      ["Validation accuracy", fmtPct, (c) => c.metrics.val_accuracy],
      ["Balanced accuracy", fmtPct, (c) => c.metrics.val_balanced_accuracy],
    ]);
    const cols = el("div", "cols", root);
    const left = el("div", "col", cols), right = el("div", "col", cols);
    this.curves = new Curves(left, scene.curves, scene.curve_keys, 1, tip, host);
    this.matrix = new Surface(right, "confusion", 380, () => this.drawMatrix());
    this.table = el("table", "perclass", root);
    this.galleryTitle = el("div", "gallery-title", root, "");
    this.gallery = el("div", "gallery", root);
    this.galleryEpoch = null;
  }
  apply(reply) {
    const f = reply.frame, c = f.counters;
    this.curves.append(reply.from, reply.rows); this.curves.drawAll();
    this.counters.update(c);
    const eta = f.eta === null || f.eta === undefined ? (c.active ? "estimating…" : "") :
      f.eta < 60 ? `about ${Math.round(f.eta)} s left` : `about ${(f.eta / 60).toFixed(1)} min left`;
    this.bar.style.width = (100 * Math.min(1, f.progress)).toFixed(1) + "%";
    this.ptext.textContent = `Epoch ${fmtInt(c.epoch)} of ${fmtInt(f.epochs)}` + (c.active && eta ? " · " + eta : "") + ` · ${c.state.replace("_", " ")}`;
    this.progress.dataset.drawn = "1";
    this.confusion = f.confusion || null;
    this.drawMatrix();
    this.drawTable();
    if (f.mistakes && f.mistakes.epoch !== this.galleryEpoch) this.drawGallery(f.mistakes);
  }
  drawMatrix() {
    const s = this.matrix; s.clear();
    const ctx = s.ctx, m = this.confusion, names = this.scene.classes;
    if (!m) {
      ctx.font = FONT; ctx.fillStyle = MUTED; ctx.textAlign = "center";
      ctx.fillText("The confusion matrix appears after the first epoch.", s.width / 2, s.h / 2);
      s.mark(); return;
    }
    const k = m.length, padL = 90, padT = 40, size = Math.min(s.width - padL - 10, s.h - padT - 10), cell = size / k;
    ctx.font = FONT; ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText("confusion matrix (rows: true, columns: predicted)", 4, 2);
    for (let i = 0; i < k; i++) {
      const total = m[i].reduce((a, b) => a + b, 0) || 1;
      for (let j = 0; j < k; j++) {
        const frac = m[i][j] / total, strength = Math.sqrt(frac), end = i === j ? BLUE : ORANGE;
        ctx.fillStyle = `rgb(${[0, 1, 2].map((q) => Math.round(255 + strength * (end[q] - 255))).join(",")})`;
        ctx.fillRect(padL + j * cell, padT + i * cell, cell - 1, cell - 1);
        if (cell > 26) {
          ctx.fillStyle = strength > 0.6 ? "#ffffff" : INK; ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.font = SMALL;
          ctx.fillText(fmtInt(m[i][j]) + (cell > 40 ? " · " + Math.round(100 * frac) + "%" : ""), padL + (j + 0.5) * cell, padT + (i + 0.5) * cell);
        }
      }
      ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.font = SMALL;
      ctx.fillText((names[i] || String(i)).slice(0, 14), padL - 4, padT + (i + 0.5) * cell);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    for (let j = 0; j < k; j++) ctx.fillText((names[j] || String(j)).slice(0, Math.max(3, Math.floor(cell / 6))), padL + (j + 0.5) * cell, padT - 3);
    s.mark();
  }
  drawTable() {
    const m = this.confusion, t = this.table;
    t.textContent = "";
    if (!m) return;
    const head = el("tr", "", t);
    for (const h of ["class", "support", "precision", "recall", "F1"]) el("th", "", head, h);
    m.forEach((row, i) => {
      const tp = row[i], support = row.reduce((a, b) => a + b, 0);
      const predicted = m.reduce((a, r) => a + r[i], 0);
      const p = predicted ? tp / predicted : null, r = support ? tp / support : null;
      const f1 = p !== null && r !== null ? (p + r ? 2 * p * r / (p + r) : 0) : null;
      const tr = el("tr", "", t);
      el("td", "", tr, this.scene.classes[i] || String(i));
      el("td", "", tr, fmtInt(support));
      for (const v of [p, r, f1]) el("td", "", tr, v === null ? "—" : v.toFixed(3));
    });
  }
  drawGallery(mistakes) {
    this.galleryEpoch = mistakes.epoch;
    this.galleryTitle.textContent = `Current mistakes on validation images (epoch ${mistakes.epoch}): true → predicted (confidence)` +
      (mistakes.items.length ? "" : " — none among the first validation images.");
    this.gallery.textContent = "";
    for (const [src, caption] of mistakes.items) {
      const fig = el("figure", "", this.gallery);
      const img = el("img", "", fig); img.src = src; img.alt = caption;
      el("figcaption", "", fig, caption);
    }
  }
  destroy() { this.curves.destroy(); this.matrix.destroy(); }
}

// ----------------------------------------------------------------------------- runs side by side
class RunsView {
  constructor(root, scene, host, tip) {
    this.scene = scene;
    this.curves = new Curves(root, scene.curves, scene.curve_keys, scene.labels.length, tip, host);
    this.row = el("div", "counters runs", root);
    this.cells = scene.labels.map((label, i) => {
      const cell = el("div", "counter", this.row);
      const l = el("div", "label", cell, label); l.style.color = scene.colors[i];
      const value = el("div", "value", cell, "—"); value.dataset.counter = label;
      const note = el("div", "note", cell, "");
      return { value, note };
    });
  }
  apply(reply) {
    this.curves.append(reply.from, reply.rows); this.curves.drawAll();
    reply.frame.runs.forEach((c, i) => {
      const cell = this.cells[i]; if (!cell) return;
      cell.value.textContent = fmtLoss(c.metrics.train_loss);
      cell.note.textContent = `${c.state.replace("_", " ")} · epoch ${fmtInt(c.epoch)}` + (c.state === "diverged" && c.outcome ? " — " + c.outcome : "");
      cell.note.className = "note" + (c.state === "diverged" ? " bad" : "");
    });
  }
  destroy() { this.curves.destroy(); }
}

const VIEWS = { playground: PlaygroundView, images: ImagesView, runs: RunsView };

// ----------------------------------------------------------------------------- controller
class Live {
  constructor(component, data) {
    this.component = component;
    this.data = data;
    const host = component.parentElement;
    this.host = el("div", "nnp-live", host);
    this.host.dataset.kind = data.scene.kind;
    this.tip = new Tip(this.host);
    this.view = new VIEWS[data.scene.kind](this.host, data.scene, this.host, this.tip);
    this.status = el("div", "caption status", this.host, "");
    this.frames = 0; this.stamps = [];
    this.v = null; this.have = [];
    this.active = data.reply.active;
    this.busy = data.reply.busy;  // running, stepping, starting or queued
    this.pageActive = this.busy || !!data.drewBusy;  // the page's last run drew a busy run
    this.asked = 0; this.askedAt = null;
    this.apply(data.reply);
    this.stopped = false;
    this.timer = setTimeout(() => this.poll(), data.reply.active ? data.poll_ms : data.idle_ms);
  }
  apply(reply) {
    this.v = reply.v;
    this.have = reply.rows.map((r, i) => (reply.from[i] || 0) + r.length);
    this.view.apply(reply);
    this.frames += 1;
    const now = performance.now();
    this.stamps.push(now); while (this.stamps.length > 20) this.stamps.shift();
    const fps = this.stamps.length > 1 ? (this.stamps.length - 1) / ((now - this.stamps[0]) / 1000) : 0;
    const c = reply.frame.counters || (reply.frame.runs ? reply.frame.runs[0] : null);
    this.host.dataset.frames = String(this.frames);
    this.host.dataset.rows = this.have.join(",");  // curve points held, per run
    if (c) { this.host.dataset.epoch = String(c.epoch); this.host.dataset.state = c.state; }
    this.status.textContent = c && this.data.scene.kind !== "runs"
      ? `Frame: epoch ${fmtInt(c.epoch)}, step ${fmtInt(c.step)}` + (reply.active && fps ? ` · ${fps.toFixed(1)} frames a second` : "")
      : "";
  }
  take(reply, drewBusy) {
    if (reply.v !== this.v) this.apply(reply);
    const was = this.active;
    this.active = reply.active;
    this.busy = reply.busy; this.pageActive = reply.busy || !!drewBusy; this.askedAt = null;
    if (this.active && !was && !this.stopped) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), this.data.poll_ms);
    }
  }
  // The page drew its controls for a busy run that has since settled: ask it to rerun (again
  // every 2 s until its next run arrives, as a request that meets another rerun can be lost).
  settle() {
    if (!this.pageActive || this.busy) return;
    const now = performance.now();
    if (this.askedAt !== null && now - this.askedAt < 2000) return;
    this.askedAt = now; this.asked += 1;
    this.component.setTriggerValue("settled", `${this.v}#${this.asked}`);
  }
  async poll() {
    if (this.stopped) return;
    let delay = this.active || this.pageActive ? this.data.poll_ms : this.data.idle_ms;
    try {
      const url = `${this.data.feed}?v=${encodeURIComponent(this.v || "")}&n=${this.have.join(",")}`;
      const r = await fetch(url, { cache: "no-store" });
      if (r.status === 200) {
        const reply = await r.json();
        this.active = reply.active; this.busy = reply.busy;
        if (reply.busy) this.pageActive = true;  // a run the page must catch up with at its end
        this.apply(reply);
      }
      if (r.status === 200 || r.status === 204) this.settle();
      else if (r.status === 404) {
        this.stopped = true;
        this.component.setTriggerValue("gone", this.v || "gone");
        return;
      }
    } catch (err) {
      delay = Math.max(delay, 1000);  // the server is busy or gone: keep the last frame
    }
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), delay);
  }
  destroy() {
    this.stopped = true; clearTimeout(this.timer);
    this.view.destroy(); this.host.remove();
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const holder = parentElement.__nnpLive;
  const unmount = () => {
    if (parentElement.__nnpLive) { parentElement.__nnpLive.destroy(); parentElement.__nnpLive = null; }
  };
  const same = holder && holder.data.feed === data.feed && holder.data.sceneKey === data.sceneKey;
  if (same) {
    // The page reran (a button, a widget): keep the view, take its newer reply and its pace
    // (after Train the run is active: poll fast at once, or a quick end would go unseen).
    holder.component = component;
    holder.take(data.reply, data.drewBusy);
    return unmount;
  }
  // A new job or new view options: build the new view and paint it before the old one goes,
  // so the browser never shows an empty frame.
  const live = new Live(component, data);
  if (holder) holder.destroy();
  parentElement.__nnpLive = live;
  return unmount;
}
