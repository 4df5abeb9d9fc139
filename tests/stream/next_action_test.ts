import assert from "node:assert/strict";
import { ActionCore } from "../../src/learn/action_core.ts";
import type { LearnState } from "../../src/stream/learn_state.ts";
import { actionCoreFor, classesFor } from "../../src/stream/next_action.ts";

const NAMES = ["a", "b"] as const;

Deno.test("actionCoreFor: an action model only for --target action, restored from its state", () => {
  assert.equal(actionCoreFor("purchase", NAMES), null);
  const fresh = actionCoreFor("action", NAMES);
  assert.ok(fresh instanceof ActionCore);
  const state = { target: "action", action: fresh.toJSON() } as unknown as LearnState;
  assert.deepEqual(actionCoreFor("action", NAMES, state)?.toJSON(), fresh.toJSON());
  assert.equal(actionCoreFor("purchase", NAMES, {} as LearnState), null);
});

Deno.test("actionCoreFor refuses a state of another target or without its action model", () => {
  assert.throws(
    () => actionCoreFor("action", NAMES, {} as LearnState),
    /learnt --target purchase, this stage learns --target action/,
  );
  assert.throws(
    () => actionCoreFor("purchase", NAMES, { target: "action" } as LearnState),
    /learnt --target action, this stage learns --target purchase/,
  );
  assert.throws(
    () => actionCoreFor("action", NAMES, { target: "action" } as LearnState),
    /has no action model/,
  );
});

Deno.test("classesFor keeps a buffer that is long enough, else at least doubles it", () => {
  const b = new Uint8Array(8);
  assert.equal(classesFor(b, 8), b);
  assert.equal(classesFor(b, 9).length, 16);
  assert.equal(classesFor(b, 40).length, 40);
});
