/**
 * `ResumePoints`: the note of where a partition must go on after batches read ahead were given
 * up untaken, and which later batches it holds back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ResumePoints } from "../../src/kafka/resume_points.ts";

Deno.test("ResumePoints admits every batch of a partition with no note", () => {
  const points = new ResumePoints();
  assert.equal(points.admit("t\u00000", 500), true);
  assert.equal(points.get("t\u00000"), undefined);
});

Deno.test("ResumePoints holds back batches fetched past the first record given up", () => {
  const points = new ResumePoints();
  // The batch being taken gave up 121.. untaken, the one read ahead behind it 200..
  points.gaveUp("p", 200);
  points.gaveUp("p", 121);
  assert.equal(points.get("p"), 121, "the earliest offset given up counts");
  // A fetch that was on its way from 200 (or later) is refused, naming where to fetch again.
  assert.equal(points.admit("p", 200), 121);
  assert.equal(points.admit("p", 300), 121);
  assert.equal(points.get("p"), 121, "a refused batch leaves the note");
  // Fetched again from there (or from before it: the processed filter drops the overlap).
  assert.equal(points.admit("p", 121), true);
  assert.equal(points.get("p"), undefined, "the batch that reaches it lifts the note");
  assert.equal(points.admit("p", 400), true);
  points.gaveUp("q", 50);
  assert.equal(points.admit("q", 0), true, "a committed offset before the note lifts it too");
});

Deno.test("ResumePoints forgets a partition sought or gone to another member", () => {
  const points = new ResumePoints();
  points.gaveUp("kept", 10);
  points.gaveUp("lost", 20);
  points.gaveUp("sought", 30);
  points.forget("sought");
  points.keep((key) => key !== "lost");
  assert.equal(points.get("kept"), 10);
  assert.equal(points.get("lost"), undefined);
  assert.equal(points.get("sought"), undefined);
  assert.equal(points.admit("lost", 99), true);
});
