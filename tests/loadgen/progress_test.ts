/** Progress lines, the terminal bar and the summary, from counts and elapsed times only. */
import assert from "node:assert/strict";
import {
  formatBytes,
  formatCount,
  formatProgress,
  formatSummary,
  fractionDone,
  type ProgressSample,
} from "../../src/loadgen/progress.ts";

const sample = (elapsedMs: number, events: number, bytes: number, errors = 0): ProgressSample => ({
  elapsedMs,
  events,
  bytes,
  errors,
});

Deno.test("formatCount() and formatBytes() use fixed, locale-free formats", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(1234567), "1,234,567");
  assert.equal(formatCount(87654.4), "87,654");
  assert.equal(formatBytes(950), "950 B");
  assert.equal(formatBytes(12_345), "12.3 kB");
  assert.equal(formatBytes(223_400_000), "223.4 MB");
  assert.equal(formatBytes(5e9), "5.00 GB");
});

Deno.test("formatProgress() prints elapsed, bytes of the target, percent, rates and errors", async (t) => {
  await t.step("plain line against a byte target, rates over the last interval", () => {
    const prev = sample(10_000, 900_000, 1.0e9);
    const cur = sample(12_000, 1_075_308, 1.23e9, 3);
    assert.equal(
      formatProgress(cur, prev, { kind: "bytes", bytes: 5e9 }),
      "[  12.0s] 1.23 GB / 5.00 GB  24.6%  115.0 MB/s  87,654 events/s  errors 3",
    );
  });
  await t.step("the first report's rates count from the start", () => {
    assert.equal(
      formatProgress(sample(2000, 200_000, 22e6), null, { kind: "events", events: 1_000_000 }),
      "[   2.0s] 200,000 / 1,000,000 events, 22.0 MB  20.0%  11.0 MB/s  100,000 events/s  errors 0",
    );
  });
  await t.step("a duration target shows elapsed of the duration", () => {
    assert.equal(
      formatProgress(sample(15_000, 30_000, 3.3e6), sample(13_000, 26_000, 2.9e6), {
        kind: "duration",
        ms: 60_000,
      }),
      "[15.0s / 60.0s] 3.3 MB, 30,000 events  25.0%  0.2 MB/s  2,000 events/s  errors 0",
    );
  });
  await t.step("a terminal gets a bar redrawn in place, no newline", () => {
    const line = formatProgress(sample(4000, 500, 50_000), null, { kind: "events", events: 1000 }, {
      terminal: true,
      barWidth: 10,
    });
    assert.ok(line.startsWith("\r\x1b[2K[█████░░░░░]  50.0%  4.0s  500 / 1,000 events"), line);
    assert.ok(!line.includes("\n"));
  });
  await t.step("no time elapsed gives zero rates, not NaN", () => {
    const line = formatProgress(sample(0, 0, 0), null, { kind: "bytes", bytes: 100 });
    assert.match(line, /0\.0% {2}0\.0 MB\/s {2}0 events\/s/);
  });
});

Deno.test("fractionDone() is clamped to 0..1", () => {
  assert.equal(fractionDone(sample(0, 0, 200), { kind: "bytes", bytes: 100 }), 1);
  assert.equal(fractionDone(sample(30_000, 0, 0), { kind: "duration", ms: 60_000 }), 0.5);
  assert.equal(fractionDone(sample(0, 5, 0), { kind: "events", events: 0 }), 1);
});

Deno.test("formatSummary() gives totals, averages, the outcome and error messages", () => {
  const text = formatSummary({
    final: sample(13_200, 1_000_000, 111_500_000, 2000),
    outcome: "failed",
    setup: "4 worker(s) × 4 sender(s), acks leader, compression none, seed 7",
    errorMessages: ["worker 1: Cannot reach Kafka at 127.0.0.1:1"],
  });
  assert.equal(
    text,
    [
      "loadtest FAILED: 1,000,000 events, 111.5 MB in 13.2s (4 worker(s) × 4 sender(s), acks leader, compression none, seed 7)",
      "  75,758 events/s, 8.4 MB/s, mean record 111.5 bytes, errors 2,000",
      "  error: worker 1: Cannot reach Kafka at 127.0.0.1:1",
    ].join("\n"),
  );
  assert.match(
    formatSummary({ final: sample(0, 0, 0), outcome: "interrupted", setup: "x" }),
    /^loadtest interrupted: 0 events, 0 B in 0\.0s \(x\)\n {2}0 events\/s/,
  );
});
