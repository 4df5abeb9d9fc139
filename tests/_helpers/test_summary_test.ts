import assert from "node:assert/strict";
import { addSummaries, formatSummary, parseSummary } from "./test_summary.ts";

Deno.test("parseSummary() reads deno test's closing lines, coloured or not, and nothing else", () => {
  assert.deepEqual(parseSummary("ok | 1 passed | 0 failed (7ms)"), {
    passed: 1,
    passedSteps: 0,
    failed: 0,
    failedSteps: 0,
    ignored: 0,
    filteredOut: 0,
    ms: 7,
  });
  assert.deepEqual(
    parseSummary(
      "\x1b[0m\x1b[31mFAILED\x1b[0m | 3 passed (2 steps) | 1 failed (1 step) | 1 ignored | 2 filtered out \x1b[0m\x1b[38;5;245m(1m2s)\x1b[0m",
    ),
    {
      passed: 3,
      passedSteps: 2,
      failed: 1,
      failedSteps: 1,
      ignored: 1,
      filteredOut: 2,
      ms: 62_000,
    },
  );
  assert.equal(parseSummary("running 1 test from ./a_test.ts"), undefined);
  assert.equal(parseSummary("t ... ok (5ms)"), undefined);
  assert.equal(parseSummary("  ok | 1 passed | 0 failed (1s) trailing words"), undefined);
});

Deno.test("addSummaries() and formatSummary() write the sum in deno test's format", () => {
  const a = parseSummary("ok | 250 passed (12 steps) | 0 failed (3m10s)")!;
  const b = parseSummary("FAILED | 2 passed | 1 failed | 1 ignored (5m0s)")!;
  const total = addSummaries([a, b]);
  assert.equal(
    formatSummary(total),
    "FAILED | 252 passed (12 steps) | 1 failed | 1 ignored (8m10s)",
  );
  assert.deepEqual(parseSummary(formatSummary(total)), total, "it reads back");
  assert.equal(formatSummary(addSummaries([a])), "ok | 250 passed (12 steps) | 0 failed (3m10s)");
  assert.equal(formatSummary(addSummaries([])), "ok | 0 passed | 0 failed (0ms)");
  assert.equal(
    formatSummary({ ...addSummaries([]), failedSteps: 1, ms: 1500 }),
    "FAILED | 0 passed | 0 failed (1 step) (2s)",
    "a failed step alone fails the total",
  );
});
