/**
 * The dashboard page `GET /` serves: one self-contained HTML document with uPlot (from npm,
 * embedded as text at build time: no CDN, no file read at run time, so it works offline and
 * from the compiled binary), its stylesheet, and the page's own small script
 * (`assets/dashboard.js`), which follows `GET /events` (server-sent events, see
 * `dashboard_events.ts`) and redraws without reloading: charts of each weight over batches, the
 * rolling log loss beside its constant-rate baseline and the best possible (when known), AUC,
 * events/s, consumer lag and bad records, with drift markers; cards for the current figures
 * (mode, updates, checkpoint age, drifts...) and the current weights table.
 *
 * @module
 */

import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import pageJs from "./assets/dashboard.js" with { type: "text" };
import pageCss from "./assets/dashboard.css" with { type: "text" };

/** Makes text safe inside a `<script>` or `<style>` element. */
function inline(text: string): string {
  return text.replace(/<\/(script|style)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const CARDS: readonly [id: string, label: string][] = [
  ["c-events", "events trained"],
  ["c-updates", "model updates"],
  ["c-loss", "rolling log loss"],
  ["c-auc", "rolling AUC"],
  ["c-rate", "throughput"],
  ["c-lag", "consumer lag"],
  ["c-bad", "bad records"],
  ["c-checkpoint", "checkpoint"],
  ["c-drifts", "drifts"],
];

const PANELS: readonly [key: string, title: string, note: string][] = [
  [
    "loss",
    "Prequential log loss (rolling window)",
    "Each event scored before the model learns from it; lower is better. " +
    "Constant rate = always predicting the window's purchase rate; " +
    "best possible = the true probabilities (generator streams only).",
  ],
  [
    "weights",
    "Weights over batches",
    "On standardized features; the dashed line is the intercept.",
  ],
  ["auc", "ROC AUC (rolling window)", "0.5 = no better than chance."],
  ["rate", "Throughput", "Events per second of processing time, per batch."],
  ["lag", "Consumer lag", "Records on the topic not yet trained on."],
  ["bad", "Bad records", "Records that are not valid events (sent to the dead-letter topic)."],
];

const CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** The dashboard as a complete HTML document (the same text every time). */
export function dashboardHtml(): string {
  const cards = CARDS.map(([id, label]) =>
    `<div class="card"><div class="label">${label}</div>` +
    `<div class="value" id="${id}">–</div><div class="sub" id="${id}-sub"></div></div>`
  ).join("\n");
  const panels = PANELS.map(([key, title, note]) =>
    `<section class="panel"><h2>${title}</h2><p>${note}</p>` +
    `<div class="chart" id="chart-${key}"></div></section>`
  ).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clickstream trainer</title>
<link rel="icon" href="data:,">
<style>${inline(uplotCss)}</style>
<style>${inline(pageCss)}</style>
</head>
<body>
<header>
<h1>clickstream</h1>
<span id="subtitle">connecting…</span>
<span class="pills"><span id="health" class="pill warn">…</span><span id="status" class="pill warn">connecting…</span></span>
</header>
<main>
<div class="cards">
${cards}
</div>
<div class="grid">
${panels}
</div>
<section class="panel">
<h2>Current weights</h2>
<p><span class="legend-drift">Dashed red lines</span> on the charts mark detected drifts. <span id="drift-list"></span></p>
<div class="table-wrap">
<table class="weights" id="weights" data-batch-id="-1">
<thead><tr><th>feature</th><th>weight</th><th>raw weight</th><th class="bar"></th></tr></thead>
<tbody id="weights-body"></tbody>
</table>
</div>
</section>
<section class="panel" id="lag-panel" hidden>
<h2>Featurizer lag, as it reaches the model</h2>
<p id="lag-summary"></p>
<div class="table-wrap">
<table class="weights" id="source-lag">
<thead><tr><th>input partition</th><th>end offset</th><th>next offset learnt</th><th>behind</th></tr></thead>
<tbody id="lag-body"></tbody>
</table>
</div>
</section>
<section class="panel" id="action-panel" hidden>
<h2>Next action (--target action)</h2>
<p id="action-summary"></p>
<div class="table-wrap">
<table class="weights" id="action">
<thead><tr><th>class</th><th>events</th><th>log loss</th><th>precision</th><th>recall</th></tr></thead>
<tbody id="action-body"></tbody>
</table>
</div>
</section>
</main>
<footer>
<a href="weights">/weights</a> · <a href="metrics">/metrics</a> · <a href="purchases">/purchases</a> · <a href="healthz">/healthz</a> · <a href="history">/history</a>
</footer>
<script>${inline(uplotJs)}</script>
<script>${inline(pageJs)}</script>
</body>
</html>
`;
}

let cached: string | undefined;

/**
 * The `GET /` response: the dashboard page (built once, served from memory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dashboardPage } from "./dashboard.ts";
 *
 * const response = dashboardPage();
 * assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
 * assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
 * assert.match(await response.text(), /<title>clickstream trainer<\/title>/);
 * ```
 */
export function dashboardPage(): Response {
  cached ??= dashboardHtml();
  return new Response(cached, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
    },
  });
}
