/**
 * `DurableLoop.run` through its simplest owner, the one-thread `Trainer`: when a batch fails and
 * the source's `return()` fails too, the batch's error is the one reported, and admin commands
 * still waiting are refused instead of waiting for ever.
 */
import assert from "node:assert/strict";
import { type SourceRecord, Trainer } from "../../src/stream/trainer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import type { AdminResult } from "../../src/stream/admin_queue.ts";

const enc = new TextEncoder();

function records(n: number): SourceRecord[] {
  const g = new SessionGenerator({ seed: 3 });
  return Array.from({ length: n }, (_, i) => {
    const e = g.next();
    return {
      topic: "t",
      partition: 0,
      offset: i,
      key: enc.encode(e.session_id),
      value: encodeEvent(e),
    };
  });
}

Deno.test("a failing return() of the source neither hides the batch's error nor leaves admin commands waiting", async () => {
  const input = records(40);
  let returned = 0;
  let admin: Promise<AdminResult> | undefined;
  const trainer = new Trainer({
    topic: "t",
    featureSet: featureSet("session"),
    checkpoint: () => {
      // A POST /checkpoint arrives while the batch is being processed, then the batch fails.
      admin = trainer.admin({ type: "checkpoint" });
      return Promise.reject(new Error("the disk is full"));
    },
  });
  const source: AsyncIterable<SourceRecord[]> = {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () =>
          Promise.resolve(
            i < 2
              ? { done: false, value: input.slice(20 * i, 20 * ++i) }
              : { done: true, value: undefined },
          ),
        return: () => {
          returned++;
          return Promise.reject(new Error("the source could not close"));
        },
      };
    },
  };
  try {
    await assert.rejects(trainer.run(source), /the disk is full/);
  } finally {
    trainer.close();
  }
  assert.equal(returned, 1, "the source was asked to close once");
  assert.ok(admin, "the admin command was sent");
  const answer = await admin;
  assert.equal(answer.ok, false);
  assert.match(answer.message ?? "", /stopping/);
});
