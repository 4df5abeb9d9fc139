import assert from "node:assert/strict";
import { createHandler } from "../../src/http/handler.ts";
import { fakeSnapshot, PUBLISHED } from "./fake_snapshot.ts";
import { promtoolCheck } from "../_helpers/promtool.ts";

Deno.test("handler() serves GET /metrics text that promtool check metrics accepts", async (t) => {
  const clock = { now: () => PUBLISHED + 10_000 };
  const snapshots = {
    "a trained model": fakeSnapshot(),
    "before the first batch, cut off from the broker": fakeSnapshot({
      eventsTrained: 0,
      batches: 0,
      batchId: -1,
      updates: 0,
      lag: NaN,
      checkpoint: null,
      healthy: false,
      healthReason: "broker unreachable",
      badRecords: {},
      weights: [NaN, 0, 0],
    }),
  };
  for (const [name, snapshot] of Object.entries(snapshots)) {
    await t.step(name, async () => {
      const handler = createHandler({ snapshot: () => snapshot, clock });
      const response = await handler(new Request("http://127.0.0.1/metrics"));
      assert.equal(response.status, 200);
      const text = await response.text();
      const { code, output } = await promtoolCheck(text);
      assert.equal(code, 0, `promtool check metrics failed:\n${output}\n--- text:\n${text}`);
      assert.equal(output.trim(), "", `promtool reports lint problems:\n${output}`);
    });
  }
});
