import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CheckpointCorruptError,
  CheckpointStore,
  type CrashPoint,
} from "../../src/stream/checkpoint.ts";
import { Trainer } from "../../src/stream/trainer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { encodeEvent } from "../../src/events/schema.ts";

async function trainedState(n: number) {
  const g = new SessionGenerator({ seed: 9 });
  const trainer = new Trainer({ topic: "t" });
  await trainer.processBatch(
    Array.from({ length: n }, (_, i) => ({
      topic: "t",
      partition: 0,
      offset: i,
      key: null,
      value: encodeEvent(g.next()),
    })),
  );
  return trainer.state();
}

Deno.test("CheckpointStore.save() then loadLatest() returns the same state", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new CheckpointStore(dir, { clock: { now: () => 1234 } });
    const state = await trainedState(2000);
    const header = await store.save(state);
    assert.equal(header.batchId, 0);
    assert.equal(header.time, 1234);
    const loaded = await store.loadLatest();
    assert.ok(loaded);
    assert.deepEqual(loaded.state, JSON.parse(JSON.stringify(state)));
    const resumed = new Trainer({ topic: "t", restore: loaded.state });
    assert.equal(resumed.snapshot.eventsTrained, 2000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore keeps the newest few and prunes the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new CheckpointStore(dir, { keep: 2 });
    const state = await trainedState(10);
    for (let b = 0; b < 5; b++) await store.save({ ...state, batchId: b });
    const files = await store.list();
    assert.equal(files.length, 2);
    assert.match(files[0], /checkpoint-000000000005\.ckpt$/);
    assert.match(files[1], /checkpoint-000000000004\.ckpt$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore.loadLatest() reports a torn or corrupt checkpoint and uses the previous one", async (t) => {
  const damages: [string, (bytes: Uint8Array) => Uint8Array][] = [
    ["torn in the body", (b) => b.subarray(0, b.length - 100)],
    ["torn in the header", (b) => b.subarray(0, 20)],
    ["a flipped byte", (b) => {
      const c = b.slice();
      c[c.length - 50] ^= 0x20;
      return c;
    }],
    ["empty", () => new Uint8Array()],
    ["not a checkpoint", () => new TextEncoder().encode('{"hello": 1}\n{}')],
  ];
  for (const [name, damage] of damages) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const corrupt: CheckpointCorruptError[] = [];
        const store = new CheckpointStore(dir, { onCorrupt: (e) => corrupt.push(e) });
        const state = await trainedState(100);
        await store.save({ ...state, batchId: 1 });
        await store.save({ ...state, batchId: 2 });
        const [newest] = await store.list();
        await Deno.writeFile(newest, damage(await Deno.readFile(newest)));
        const loaded = await store.loadLatest();
        assert.equal(loaded?.state.batchId, 1);
        assert.equal(corrupt.length, 1);
        assert.equal(corrupt[0].file, newest);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("CheckpointStore calls the crash hook at each step of a write, in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const points: CrashPoint[] = [];
    const store = new CheckpointStore(dir, { crashHook: (p) => points.push(p) });
    await store.save(await trainedState(10));
    assert.deepEqual(points, ["after-temp-write", "after-fsync", "after-rename"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore ignores and later prunes the temporary file of an interrupted write", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new CheckpointStore(dir);
    const state = await trainedState(10);
    await store.save({ ...state, batchId: 0 });
    const temp = join(dir, ".checkpoint-000000000002.ckpt.x.tmp");
    await Deno.writeTextFile(temp, "half a checkpoint");
    assert.equal((await store.loadLatest())?.state.batchId, 0);
    await store.save({ ...state, batchId: 2 });
    await assert.rejects(() => Deno.stat(temp), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
