/**
 * The featurizers' lag as it reaches `learn`, against a real broker: an input topic of two
 * partitions (10 and 6 events) whose rows — computed by the featurize stage, as `featurize` does —
 * reach the feature log for only 7 of partition 0's events at first. The in-process learner's
 * `/weights`, `/metrics` and dashboard (in headless Chromium) then show partition 0 three records
 * behind and the log read to its end; once the last rows are written, nothing behind.
 *
 * Needs `chromium` (see `tests/_helpers/tools.ts`): the test fails, saying so, without it.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { startLearner } from "../../src/cli/learn.ts";
import type { LearnConfig } from "../../src/cli/learn_config.ts";
import { resolveConfig } from "../../src/config.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { ensureFeatureLog, featureLogTopic } from "../../src/stream/feature_log.ts";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { encodeRows } from "../../src/stream/row_codec.ts";
import { waitFor } from "../http/dashboard_feed.ts";
import { createTestTopic, testBrokers, testClient } from "../_helpers/kafka.ts";
import { requireTool } from "../_helpers/tools.ts";

const brokers = await testBrokers();

/** Per input partition on the page: [end offset, next offset learnt, behind]. */
function pageLag(page: Page): Promise<Record<string, number[]> | null> {
  return page.evaluate(() => {
    const panel = document.getElementById("lag-panel")!;
    if (panel.hidden) return null;
    const rows: Record<string, number[]> = {};
    for (const tr of panel.querySelectorAll("tbody tr")) {
      const cells = [...tr.querySelectorAll("td.num")] as HTMLElement[];
      rows[(tr as HTMLElement).dataset.partition!] = cells.map((c) => Number(c.dataset.value));
    }
    return rows;
  });
}

interface LagJson {
  end_offset: number | null;
  unread_records: number | null;
  sources: { partition: number; end_offset: number; next_offset: number; behind: number }[];
  behind: number | null;
}

Deno.test({
  name:
    "learn shows the featurizers' lag as it reaches it: per input partition on /weights, /metrics and the dashboard",
  // playwright-core keeps a pipe to the browser and kafkajs its sockets until closed; both are
  // closed in `finally`, but their last callbacks may run after the test returns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using input = await createTestTopic(brokers, "learn-lag", { partitions: 2 });
    const client = testClient(brokers);
    await using admin = await KafkaAdmin.connect(client);
    await ensureFeatureLog(admin, input.name);

    // The input: 10 events on partition 0, 6 on partition 1.
    const records: SourceRecord[] = [];
    for (const [partition, n] of [[0, 10], [1, 6]]) {
      for (let offset = 0; offset < n; offset++) {
        const common = {
          user_id: 1 + partition,
          url: `/products/${offset}`,
          session_id: `s-${partition}`,
          timestamp: 1_700_000_000 + offset,
        };
        const value = encodeEvent(
          offset % 3 === 2
            ? { ...common, action: "purchase", amount: 10 + offset }
            : { ...common, action: "view" },
        );
        records.push({ topic: input.name, partition, offset, key: null, value });
      }
    }
    {
      await using producer = await EventProducer.connect(client, {
        topic: input.name,
        acks: "all",
      });
      for (const p of [0, 1]) {
        await producer.sendRaw(
          records.filter((r) => r.partition === p).map((r) => ({ value: r.value, partition: p })),
        );
      }
    }
    // The rows, as a featurizer writes them: all but partition 0's last 3 first.
    const stage = new FeaturizeStage();
    await using rowsOut = await EventProducer.connect(client, {
      topic: featureLogTopic(input.name),
      acks: "all",
    });
    const writeRows = async (batch: SourceRecord[]) => {
      const rows = new RowBatch(stage.rows);
      stage.featurize(batch, rows);
      await rowsOut.sendRaw([{ value: encodeRows(rows), partition: 0 }]);
    };
    const late = records.filter((r) => r.partition === 0 && r.offset >= 7);
    await writeRows(records.filter((r) => !late.includes(r)));

    const stateDir = await Deno.makeTempDir({ prefix: "learn-lag-test-" });
    const stop = new AbortController();
    const log: string[] = [];
    const config = resolveConfig(
      ["learn", input.name, "--http", "127.0.0.1:0", "--trigger", "200ms"].concat([
        "--state-dir",
        stateDir,
      ]),
      { KAFKA_BROKERS: brokers },
    ) as LearnConfig;
    const learner = await startLearner(config, { log: (l) => log.push(l), signal: stop.signal });
    let browser: Browser | undefined;
    try {
      const lag = (expectBehind: number, logEnd: number) =>
        waitFor(
          `/weights to show ${expectBehind} behind, the log at ${logEnd}\n${log.join("\n")}`,
          async () => {
            const body = await (await fetch(`${learner.url}/weights`)).json();
            const f = body.feature_log as LagJson | undefined;
            return f?.behind === expectBehind && f.end_offset === logEnd &&
                f.unread_records === 0 &&
                f.sources.length === 2 && body.events_trained === 16 - expectBehind
              ? f
              : undefined;
          },
          { timeoutMs: 60_000 },
        );

      const before = await lag(3, 1);
      assert.deepEqual(before.sources, [
        { partition: 0, end_offset: 10, next_offset: 7, behind: 3 },
        { partition: 1, end_offset: 6, next_offset: 6, behind: 0 },
      ]);
      const metrics = await (await fetch(`${learner.url}/metrics`)).text();
      assert.match(metrics, /^clickstream_source_behind_records\{partition="0"\} 3$/m);
      assert.match(metrics, /^clickstream_source_behind_records\{partition="1"\} 0$/m);
      assert.match(metrics, /^clickstream_source_end_offset\{partition="0"\} 10$/m);
      assert.match(metrics, /^clickstream_feature_log_end_offset 1$/m);
      assert.match(metrics, /^clickstream_feature_log_unread_records 0$/m);

      browser = await chromium.launch({
        executablePath: await requireTool("chromium"),
        headless: true,
        args: ["--no-sandbox", "--disable-background-networking"],
        timeout: 30_000,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${learner.url}/`, { timeout: 30_000 });
      await waitFor("the page to show partition 0 three behind", async () => {
        const rows = await pageLag(page);
        return rows?.["0"]?.[2] === 3 ? rows : undefined;
      }).then((rows) => assert.deepEqual(rows, { "0": [10, 7, 3], "1": [6, 6, 0] }));

      // The featurizer catches up: the last rows reach the log, and nothing is behind.
      await writeRows(late);
      const after = await lag(0, 2);
      assert.deepEqual(after.sources.map((s) => s.behind), [0, 0]);
      await waitFor("the page to show nothing behind", async () => {
        const rows = await pageLag(page);
        return rows?.["0"]?.[2] === 0 ? rows : undefined;
      }).then((rows) => assert.deepEqual(rows, { "0": [10, 10, 0], "1": [6, 6, 0] }));
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      stop.abort();
      await learner.done;
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
