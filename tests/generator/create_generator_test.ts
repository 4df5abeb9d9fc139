import assert from "node:assert/strict";
import { createGenerator } from "../../src/generator/create_generator.ts";
import { FunnelGenerator } from "../../src/generator/funnel_generator.ts";
import { DEFAULT_PROFILE, type Profile, PROFILES } from "../../src/generator/generator.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";

Deno.test("createGenerator() builds each profile with the shared options", () => {
  assert.deepEqual(PROFILES, ["original", "funnel"]);
  assert.equal(DEFAULT_PROFILE, "original");
  const options = { seed: 9, shard: { index: 1, count: 2 }, driftAt: 100 };
  const pairs = [
    [createGenerator("original", options), new SessionGenerator(options)],
    [createGenerator("funnel", options), new FunnelGenerator(options)],
  ] as const;
  for (const [made, direct] of pairs) {
    for (let i = 0; i < 2000; i++) {
      assert.deepStrictEqual(made.next(), direct.next());
      assert.equal(made.probability, direct.probability);
    }
  }
  assert.ok(pairs[0][0] instanceof SessionGenerator);
  assert.ok(pairs[1][0] instanceof FunnelGenerator);
});

Deno.test("createGenerator() passes the original's tunables to the original profile only", () => {
  const gen = createGenerator("original", { seed: 1, original: { basePurchaseProbability: 0 } });
  gen.next();
  assert.equal(gen.probability, 0.03); // min(0 + 0.03 · 1, 0.5)
  assert.throws(
    () => createGenerator("nope" as Profile),
    (e: Error) => e instanceof RangeError && e.message.includes('"nope"'),
  );
});
