/**
 * The dashboard in a real browser while a stream is trained: Debian's headless Chromium, driven
 * by playwright-core, opens `GET /` of an in-process trainer that learns a live feed of the
 * generator's events from the real broker. It reads uPlot's own data arrays (the instances the
 * page exposes on `globalThis.dashboard.plots`) and checks that they grow, that the weights
 * table equals `GET /weights`, and that at 390 px wide nothing overflows horizontally; it saves
 * screenshots at both widths to tests/.artifacts/screenshots/ (git-ignored), or to
 * docs/screenshots/ (the README's picture) when `UPDATE_SCREENSHOTS=1`.
 *
 * Needs `chromium` (Debian package, installed by `deno task test`; see `tests/_helpers/tools.ts`):
 * the test fails, saying so, without it.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { createTestTopic, testBrokers } from "../_helpers/kafka.ts";
import { requireTool } from "../_helpers/tools.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { startFeed, startTestTrainer, waitFor } from "./dashboard_feed.ts";
import { settleWithin } from "../../src/util/deadline.ts";

const brokers = await testBrokers();
const SCREENSHOTS = new URL(
  Deno.env.get("UPDATE_SCREENSHOTS") === "1"
    ? "../../docs/screenshots/"
    : "../.artifacts/screenshots/",
  import.meta.url,
).pathname;

async function launch(): Promise<Browser> {
  return await chromium.launch({
    executablePath: await requireTool("chromium"),
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking"],
    timeout: 30_000,
  });
}

/** What the page's uPlot instances hold: per chart, the series' data lengths and last values. */
interface PlotView {
  key: string;
  points: number;
  series: number;
  last: (number | null)[];
  width: number;
}

function plots(page: Page): Promise<PlotView[]> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const d = (globalThis as any).dashboard;
    // deno-lint-ignore no-explicit-any
    return Object.entries(d?.plots ?? {}).map(([key, plot]: [string, any]) => ({
      key,
      points: plot.data[0].length,
      series: plot.data.length - 1,
      last: plot.data.slice(1).map((a: (number | null)[]) => a[a.length - 1] ?? null),
      width: plot.width,
    }));
  });
}

/** The weights table as the page shows it: batch id and each row's full-precision value. */
function table(page: Page): Promise<{ batchId: number; rows: Record<string, [number, string]> }> {
  return page.evaluate(() => {
    const t = document.getElementById("weights")!;
    const rows: Record<string, [number, string]> = {};
    for (const tr of t.querySelectorAll("tbody tr")) {
      const cell = tr.querySelector("td.num") as HTMLElement;
      rows[(tr as HTMLElement).dataset.feature!] = [Number(cell.dataset.value), cell.textContent!];
    }
    return { batchId: Number(t.dataset.batchId), rows };
  });
}

/** Elements whose right edge passes the viewport (outside horizontal scrollers), for messages. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const width = innerWidth;
    const offenders: string[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (el.closest(".table-wrap")) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 0.5) {
        offenders.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${r.right}`);
      }
    }
    return {
      innerWidth: width,
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      offenders: offenders.slice(0, 10),
    };
  });
}

Deno.test({
  name:
    "the dashboard shows a stream being learnt: uPlot's data grows, the weights table equals GET /weights, nothing overflows at 390 px",
  // playwright-core keeps a pipe to the browser and kafkajs its sockets until closed; both are
  // closed in `finally`, but their last callbacks may run after the test returns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using topic = await createTestTopic(brokers, "dashboard");
    // The generator drifts at event 150,000, so that a trainer with drift detection marks it.
    const driftAt = 150_000;
    const feed = await startFeed(brokers, topic.name, {
      seed: 21,
      driftAt,
      eventsPerSend: 3000,
      pauseMs: 100,
      maxMs: 90_000,
      maxEvents: 240_000,
    });
    let trainer;
    let browser: Browser | undefined;
    try {
      // The feature set of every field: the page shows all 32 features by name.
      trainer = await startTestTrainer(brokers, topic.name, ["--features", "fields"]);
      const url = trainer.url;
      browser = await launch();
      const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      desktop.on("pageerror", (e) => errors.push(String(e)));
      desktop.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await desktop.goto(url + "/", { timeout: 30_000 });

      // The charts exist and hold the history's points.
      const first = await waitFor("the charts to hold 3 points", async () => {
        const p = await plots(desktop);
        return p.length === 6 && p.every((v) => v.points >= 3) ? p : undefined;
      });
      const keys = first.map((p) => p.key).sort();
      assert.deepEqual(keys, ["auc", "bad", "lag", "loss", "rate", "weights"]);
      const weightsPlot = first.find((p) => p.key === "weights")!;
      const names = Object.keys((await (await fetch(url + "/weights")).json()).weights);
      assert.deepEqual(names, [...FIELD_FEATURES.names]);
      assert.equal(weightsPlot.series, names.length + 1, "one series per weight + intercept");

      // ... and grow as batches are learnt, without reloading the page.
      const grown = await waitFor("the charts to grow to 20 points", async () => {
        const p = await plots(desktop);
        return p.every((v) => v.points >= Math.max(20, first[0].points + 5)) ? p : undefined;
      });
      const loss = grown.find((p) => p.key === "loss")!;
      const [model, constant] = loss.last as number[];
      assert.ok(model > 0.3 && model < 1, `rolling log loss ${model}`);
      assert.ok(constant > 0.3 && constant < 1, `constant-rate log loss ${constant}`);
      assert.equal(
        await desktop.evaluate(() => performance.getEntriesByType("navigation").length),
        1,
      );

      // With drift detection on, the drift shows as a marker (checked in the page's data).
      const history = await (await fetch(url + "/history")).json();
      if (history.state.drift !== null) {
        const drifts = await waitFor("a drift marker", async () => {
          const d = await desktop.evaluate(() =>
            // deno-lint-ignore no-explicit-any
            (globalThis as any).dashboard.drifts as { batchId: number; eventsTrained: number }[]
          );
          return d.length > 0 ? d : undefined;
        }, { timeoutMs: 60_000 });
        assert.ok(
          drifts[0].eventsTrained > driftAt && drifts[0].eventsTrained <= driftAt + 20_000,
          `drift marked at event ${drifts[0].eventsTrained}, the stream drifted at ${driftAt}`,
        );
      }

      // Stop the feed; once the trainer has caught up, the table must equal GET /weights.
      const sent = await feed.stop();
      await waitFor("the trainer to learn every event sent", async () => {
        const w = await (await fetch(url + "/weights")).json();
        return w.events_trained === sent.events ? w : undefined;
      }, { timeoutMs: 60_000 });
      const weights = await (await fetch(url + "/weights")).json();
      const shown = await waitFor("the table to show the last batch", async () => {
        const t = await table(desktop);
        return t.batchId === weights.last_batch_id ? t : undefined;
      }, { timeoutMs: 10_000 });
      assert.deepEqual(
        Object.keys(shown.rows),
        [...names, "intercept"],
        "a row per feature, by name",
      );
      for (const name of names) {
        assert.equal(shown.rows[name][0], weights.weights[name], `weight ${name}`);
        assert.equal(shown.rows[name][1], weights.weights[name].toFixed(4), `shown ${name}`);
      }
      assert.equal(shown.rows.intercept[0], weights.intercept);
      const cards = await desktop.evaluate(() => ({
        events: document.getElementById("c-events")!.textContent,
        bad: document.getElementById("c-bad")!.textContent,
        subtitle: document.getElementById("subtitle")!.textContent,
        status: document.getElementById("status")!.textContent,
      }));
      assert.equal(cards.status, "live");
      assert.match(cards.subtitle!, /mode adagrad · features fields/);
      assert.equal(cards.bad, String(sent.bad));
      assert.equal(errors.length, 0, `script errors: ${errors.join("; ")}`);
      await Deno.mkdir(SCREENSHOTS, { recursive: true });
      await desktop.screenshot({ path: SCREENSHOTS + "dashboard-desktop.png", fullPage: true });

      // A phone, 390 px wide: nothing overflows horizontally.
      const phone = await browser.newPage({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      });
      phone.on("pageerror", (e) => errors.push(String(e)));
      await phone.goto(url + "/", { timeout: 30_000 });
      await waitFor("the phone's charts to fill", async () => {
        const p = await plots(phone);
        return p.length === 6 && p.every((v) => v.points >= 3) ? p : undefined;
      });
      const o = await overflow(phone);
      assert.equal(o.innerWidth, 390);
      assert.ok(o.scrollWidth <= o.innerWidth, `page ${o.scrollWidth} px wide: ${o.offenders}`);
      assert.deepEqual(o.offenders, [], "elements past the right edge");
      for (const p of await plots(phone)) assert.ok(p.width <= 390, `${p.key} ${p.width} px`);
      await phone.screenshot({ path: SCREENSHOTS + "dashboard-phone.png", fullPage: true });

      // Resizing the desktop page down to a phone's width reflows it too.
      await desktop.setViewportSize({ width: 390, height: 844 });
      const resized = await waitFor("the charts to shrink", async () => {
        const o = await overflow(desktop);
        return o.scrollWidth <= 390 && o.offenders.length === 0 ? o : undefined;
      }, { timeoutMs: 5000, everyMs: 200 });
      assert.ok(resized.scrollWidth <= 390);
      assert.equal(errors.length, 0, `script errors: ${errors.join("; ")}`);
      // The trainer stops while the dashboard is still connected (its event stream must not
      // hold the server open).
      await feed.stop();
      const stopped = await settleWithin(trainer.stop(), 60_000);
      assert.ok(stopped, "the trainer did not stop within 60 s while a dashboard was connected");
    } finally {
      await feed.stop();
      await browser?.close();
      await trainer?.stop();
    }
  },
});
