/**
 * `/metrics` as Prometheus itself reads it: a real Prometheus server (Debian's `prometheus`,
 * on loopback, temporary config and data directory) scrapes an in-process trainer every second
 * while a feed of the generator's events is learnt from the real broker; its HTTP API must answer
 * a query for the events counter with a value that increases, and report the target up with no
 * scrape error. The live `/metrics` text also passes `promtool check metrics`.
 *
 * Needs `prometheus` (Debian package, which brings `promtool`; installed by `deno task test`, see
 * `tests/_helpers/tools.ts`): the test fails, saying so, without it.
 */
import assert from "node:assert/strict";
import { freePort } from "../../dev/kafka/broker.ts";
import { createTestTopic, testBrokers } from "../_helpers/kafka.ts";
import { promtoolCheck } from "../_helpers/promtool.ts";
import { requireTool } from "../_helpers/tools.ts";
import { startFeed, startTestTrainer, waitFor } from "./dashboard_feed.ts";

const brokers = await testBrokers();

/** A Prometheus server scraping `target` (host:port) every second, on a free loopback port. */
async function startPrometheus(target: string) {
  const prometheusPath = await requireTool("prometheus");
  const dir = await Deno.makeTempDir({ prefix: "prometheus-test-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: clickstream",
      "    scrape_interval: 1s",
      "    scrape_timeout: 900ms",
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(prometheusPath, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<string> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return await stderr;
    })();
  try {
    await waitFor("Prometheus to be ready", async () => {
      const r = await fetch(`${url}/-/ready`);
      await r.body?.cancel();
      return r.ok ? true : undefined;
    }, { timeoutMs: 30_000 });
  } catch (error) {
    const log = await stop();
    throw new Error(`${(error as Error).message}; prometheus said:\n${log}`);
  }
  return {
    url,
    stop,
    /** An instant query; the vector's samples as [labels, value]. */
    async query(expr: string): Promise<[Record<string, string>, number][]> {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = await r.json();
      assert.equal(body.status, "success", JSON.stringify(body));
      return body.data.result.map((
        s: { metric: Record<string, string>; value: [number, string] },
      ) => [s.metric, Number(s.value[1])]);
    },
  };
}

Deno.test({
  name: "a real Prometheus server scrapes the trainer and answers an increasing events counter",
  // kafkajs' sockets and timers close in `finally`; their last callbacks may run after the test.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using topic = await createTestTopic(brokers, "prometheus");
    const feed = await startFeed(brokers, topic.name, {
      seed: 3,
      eventsPerSend: 2000,
      pauseMs: 200,
      maxMs: 90_000,
    });
    let trainer;
    let prometheus;
    try {
      trainer = await startTestTrainer(brokers, topic.name);
      await waitFor("the first batch", async () => {
        const w = await (await fetch(trainer!.url + "/weights")).json();
        return w.events_trained > 0 ? true : undefined;
      });

      const text = await (await fetch(trainer.url + "/metrics")).text();
      const check = await promtoolCheck(text);
      assert.equal(check.code, 0, `promtool check metrics:\n${check.output}`);
      assert.equal(check.output.trim(), "", `promtool lint:\n${check.output}`);
      assert.match(text, /^# TYPE clickstream_drifts_total counter$/m);

      prometheus = await startPrometheus(new URL(trainer.url).host);
      const seen: number[] = [];
      await waitFor("two increasing values of clickstream_events_trained_total", async () => {
        const result = await prometheus!.query("clickstream_events_trained_total");
        if (result.length === 1) {
          const [labels, value] = result[0];
          assert.equal(labels.job, "clickstream");
          if (seen.length === 0 || value !== seen[seen.length - 1]) seen.push(value);
        }
        return seen.length >= 2 && seen[seen.length - 1] > seen[0] ? true : undefined;
      }, { timeoutMs: 60_000, everyMs: 500 });
      assert.ok(seen[0] > 0, `first value ${seen[0]}`);
      assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]), `values ${seen}`);

      const up = await prometheus.query('up{job="clickstream"}');
      assert.deepEqual(up.map(([, v]) => v), [1]);
      const targets = await (await fetch(`${prometheus.url}/api/v1/targets`)).json();
      const active = targets.data.activeTargets;
      assert.equal(active.length, 1);
      assert.equal(active[0].health, "up");
      assert.equal(active[0].lastError, "");
      const rate = await prometheus.query("rate(clickstream_events_trained_total[10s])");
      assert.equal(rate.length, 1);
      assert.ok(rate[0][1] >= 0, `rate ${rate[0][1]}`);
      const drifts = await prometheus.query("clickstream_drifts_total");
      assert.deepEqual(drifts.map(([, v]) => v), [0]);
    } finally {
      await feed.stop();
      await prometheus?.stop();
      await trainer?.stop();
    }
  },
});
