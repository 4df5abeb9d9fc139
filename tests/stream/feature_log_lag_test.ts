/** The featurizers' lag as it reaches a learner, from end offsets and the model's positions. */
import assert from "node:assert/strict";
import { featureLogLag } from "../../src/stream/feature_log_lag.ts";

Deno.test("per input partition: end offset against the next offset learnt, by partition", () => {
  const next = new Map([[0, 7], [1, 6], [2, 40]]);
  const lag = featureLogLag(
    (p) => next.get(p) ?? 0,
    new Map([[2, 40], [0, 10], [1, 6], [3, 5]]),
    12,
    9,
  );
  assert.deepEqual(lag.sources, [
    { partition: 0, endOffset: 10, nextOffset: 7, behind: 3 },
    { partition: 1, endOffset: 6, nextOffset: 6, behind: 0 },
    { partition: 2, endOffset: 40, nextOffset: 40, behind: 0 },
    { partition: 3, endOffset: 5, nextOffset: 0, behind: 5 },
  ]);
  assert.equal(lag.behind, 8);
  assert.equal(lag.logEnd, 12);
  assert.equal(lag.logUnread, 3);
  assert.ok(
    Object.isFrozen(lag) && Object.isFrozen(lag.sources) && Object.isFrozen(lag.sources[0]),
  );
});

Deno.test("an end polled before the model moved past it is 0 behind, not negative", () => {
  // The model learnt rows after the last poll of the end offsets: both are older than the model.
  const lag = featureLogLag(() => 12, new Map([[0, 10]]), 3, 5);
  assert.deepEqual(lag.sources, [{ partition: 0, endOffset: 10, nextOffset: 12, behind: 0 }]);
  assert.equal(lag.logUnread, 0);
});

Deno.test("before the first poll: no sources, behind NaN, the log's end and unread null", () => {
  const lag = featureLogLag(() => 0, null, null, 0);
  assert.deepEqual(lag.sources, []);
  assert.ok(Number.isNaN(lag.behind));
  assert.equal(lag.logEnd, null);
  assert.equal(lag.logUnread, null);
});
