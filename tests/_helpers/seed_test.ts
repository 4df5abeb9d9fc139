/** testSeed(): the variable's seed when set, a fresh printed one otherwise, a bad value refused. */
import assert from "node:assert/strict";
import { testSeed } from "./seed.ts";

Deno.test("testSeed() takes CLICKSTREAM_TEST_SEED when set and prints how to replay", () => {
  const lines: string[] = [];
  assert.equal(testSeed("kills", { value: "12345", log: (l) => lines.push(l) }), 12345);
  assert.equal(testSeed("kills", { value: " 0 ", log: (l) => lines.push(l) }), 0);
  assert.deepEqual(lines, [
    "kills: seed 12345 (replay: CLICKSTREAM_TEST_SEED=12345)",
    "kills: seed 0 (replay: CLICKSTREAM_TEST_SEED=0)",
  ]);
});

Deno.test("testSeed() without the variable draws a 32-bit seed and prints it", () => {
  const lines: string[] = [];
  const seeds = new Set<number>();
  for (const value of [undefined, "", undefined, undefined]) {
    const seed = testSeed("moments", { value, log: (l) => lines.push(l) });
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff, `seed ${seed}`);
    assert.equal(lines.at(-1), `moments: seed ${seed} (replay: CLICKSTREAM_TEST_SEED=${seed})`);
    seeds.add(seed);
  }
  assert.ok(seeds.size > 1, "four draws gave one seed");
});

Deno.test("testSeed() refuses a value that is not a 32-bit seed, naming it", () => {
  for (const value of ["abc", "-1", "1.5", "4294967296", "12abc"]) {
    assert.throws(
      () => testSeed("x", { value, log: () => {} }),
      (e: Error) =>
        e instanceof RangeError && e.message.includes(`CLICKSTREAM_TEST_SEED="${value}"`),
      value,
    );
  }
});
