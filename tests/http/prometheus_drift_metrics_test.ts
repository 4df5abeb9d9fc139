import assert from "node:assert/strict";
import { createHandler } from "../../src/http/handler.ts";
import { fakeSnapshot, PUBLISHED } from "./fake_snapshot.ts";
import { promtoolCheck } from "../_helpers/promtool.ts";

async function scrape(overrides: Parameters<typeof fakeSnapshot>[0]): Promise<string> {
  const snapshot = fakeSnapshot(overrides);
  const handler = createHandler({ snapshot: () => snapshot, clock: { now: () => PUBLISHED } });
  return await (await handler(new Request("http://127.0.0.1/metrics"))).text();
}

const marker = { batchId: 3, eventsTrained: 1234, time: PUBLISHED, detector: "page-hinkley" };

Deno.test("GET /metrics counts drifts and shows the detector's statistic; promtool accepts it", async (t) => {
  await t.step("from the detector's status", async () => {
    const text = await scrape({
      drifts: [marker],
      drift: {
        detector: "page-hinkley",
        total: 5,
        statistic: 12.5,
        threshold: 120,
        onDrift: "boost",
      },
    });
    assert.match(text, /^# HELP clickstream_drifts_total .+$/m);
    assert.match(text, /^# TYPE clickstream_drifts_total counter$/m);
    assert.match(text, /^clickstream_drifts_total 5$/m);
    assert.match(text, /^# TYPE clickstream_drift_statistic gauge$/m);
    assert.match(text, /^clickstream_drift_statistic 12\.5$/m);
    assert.match(text, /^clickstream_drift_threshold 120$/m);
    const { code, output } = await promtoolCheck(text);
    assert.equal(code, 0, output);
    assert.equal(output.trim(), "", output);
  });
  await t.step("without a detector: the markers count, the statistic is NaN", async () => {
    const text = await scrape({ drifts: [marker, marker] });
    assert.match(text, /^clickstream_drifts_total 2$/m);
    assert.match(text, /^clickstream_drift_statistic NaN$/m);
    assert.match(text, /^clickstream_drift_threshold NaN$/m);
    const { code, output } = await promtoolCheck(text);
    assert.equal(code, 0, output);
    assert.equal(output.trim(), "", output);
  });
});
