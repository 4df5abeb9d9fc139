import assert from "node:assert/strict";
import { SHOP_GOLDEN_CASES, SHOP_GOLDEN_FILE, shopGoldenDigests } from "./_shop_golden.ts";

Deno.test("the shop learner reproduces the golden digests recorded from main at 9b29d70, bit for bit", async () => {
  const want = JSON.parse(await Deno.readTextFile(SHOP_GOLDEN_FILE));
  const got = await shopGoldenDigests(new URL("../../src", import.meta.url).href);
  assert.deepEqual(Object.keys(got), SHOP_GOLDEN_CASES.map((c) => c.name));
  for (const c of SHOP_GOLDEN_CASES) assert.deepEqual(got[c.name], want[c.name], c.name);
});
