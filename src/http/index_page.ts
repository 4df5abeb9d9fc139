/**
 * The small HTML page `GET /` serves until the dashboard exists: the topic, the mode, a few
 * figures of the current snapshot, and links to the JSON and Prometheus routes. Everything is
 * escaped; no script, no external asset.
 *
 * @module
 */

import type { Snapshot } from "../stream/snapshot.ts";

/** The routes the index page links to, with what they serve. */
const LINKS: readonly [string, string][] = [
  ["/weights", "model weights and prequential metrics (JSON)"],
  ["/metrics", "Prometheus metrics"],
  ["/purchases", "top purchasers (JSON, ?top=N)"],
  ["/healthz", "health (JSON; 503 when cut off from the broker)"],
];

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The index page over `snapshot`, as a complete HTML document. */
export function indexPage(snapshot: Snapshot): string {
  const items = LINKS.map(([href, what]) =>
    `<li><a href="${href}">${href}</a> — ${escapeHtml(what)}</li>`
  ).join("\n");
  const figures = [
    `topic ${escapeHtml(snapshot.topic)}, mode ${escapeHtml(snapshot.mode)}`,
    `${snapshot.eventsTrained} events trained in ${snapshot.batches} batches`,
    snapshot.healthy ? "healthy" : `unhealthy: ${escapeHtml(snapshot.healthReason ?? "")}`,
  ].map((line) => `<p>${line}</p>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clickstream trainer</title>
</head>
<body>
<h1>clickstream trainer</h1>
${figures}
<ul>
${items}
</ul>
<p><code>POST /predict</code> with <code>{"events": [...]}</code> scores a session.</p>
</body>
</html>
`;
}
