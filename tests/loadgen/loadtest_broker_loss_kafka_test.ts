/**
 * A broker that goes away in the middle of a run fails it with a clear message after a bounded
 * retry, and every worker stops: no hang. This test starts (and stops) its own broker.
 */
import assert from "node:assert/strict";
import { startBroker } from "../../dev/kafka/broker.ts";
import { runLoadtest } from "../../src/cli/loadtest.ts";
import { resolveConfig } from "../../src/config.ts";
import { withDeadline } from "../../src/util/deadline.ts";

Deno.test({
  name: "runLoadtest() fails with a clear message when the broker goes away mid-run",
  sanitizeResources: false, // the broker's process handle outlives the test body's accounting
  async fn() {
    await using broker = await startBroker();
    const config = resolveConfig(
      [
        "loadtest",
        "--brokers",
        broker.brokers,
        "--duration",
        "10m",
        "--rate",
        "20000",
        "--workers",
        "2",
      ],
      {},
    );
    assert.ok(config.command === "loadtest");
    const chunks: string[] = [];
    let stopped: Promise<void> | undefined;
    let stoppedAt = 0;
    const run = runLoadtest(config, {
      write: (text) => {
        chunks.push(text);
        // Once events are flowing, take the broker away.
        if (stopped === undefined && /[1-9][\d,]* events/.test(text) && text.startsWith("[")) {
          stoppedAt = performance.now();
          stopped = broker.stop();
        }
      },
      isTerminal: false,
      progressIntervalMs: 500,
    });
    // A hang guard, not a speed check: the run must fail rather than wait forever (its own
    // bounded retry decides how long; the time is printed below).
    const code = await withDeadline(run, 300_000, {
      what: "loadtest's failure after the broker stopped",
    });
    await stopped;
    const text = chunks.join("");
    assert.ok(stoppedAt > 0, `the run never showed progress:\n${text}`);
    assert.equal(code, 1, text);
    assert.match(text, /loadtest FAILED/);
    assert.match(text, new RegExp(`error: worker \\d: .*(Kafka|broker|${broker.brokers})`, "i"));
    const seconds = (performance.now() - stoppedAt) / 1000;
    console.log(
      `failed ${seconds.toFixed(1)} s after the broker stopped:\n${
        text.split("\n").slice(-4).join("\n")
      }`,
    );
  },
});
