import assert from "node:assert/strict";
import { defaultWorkers, MAX_DEFAULT_WORKERS } from "../../src/loadgen/load_workers_options.ts";
import { resolveConfig } from "../../src/config.ts";

Deno.test("defaultWorkers() is half the cores, at least 1 and at most MAX_DEFAULT_WORKERS", () => {
  const expected: [number, number][] = [[1, 1], [2, 1], [3, 1], [4, 2], [6, 3], [8, 4], [64, 4]];
  for (const [cores, workers] of expected) {
    assert.equal(defaultWorkers(cores), workers, `${cores} cores`);
  }
  assert.equal(MAX_DEFAULT_WORKERS, 4);
  assert.equal(defaultWorkers(), defaultWorkers(navigator.hardwareConcurrency));
});

Deno.test("defaultWorkers() refuses a core count that is not a positive integer, naming it", () => {
  for (const cores of [0, -2, 1.5, NaN]) {
    assert.throws(() => defaultWorkers(cores), new RegExp(`for ${cores} cores`));
  }
});

Deno.test("loadtest's --workers defaults to defaultWorkers(), and an explicit one is kept", () => {
  const a = resolveConfig(["loadtest"], {});
  assert.ok(a.command === "loadtest");
  assert.equal(a.workers, defaultWorkers());
  assert.equal(a.sendersPerWorker, 4);
  const b = resolveConfig(["loadtest", "--workers", "4"], {});
  assert.ok(b.command === "loadtest");
  assert.equal(b.workers, 4);
});
