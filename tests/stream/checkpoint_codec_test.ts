import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  CheckpointCorruptError,
  type CheckpointFormat,
  CheckpointFormatError,
  CheckpointStore,
} from "../../src/stream/checkpoint.ts";
import {
  CHECKPOINT_MAGIC,
  CheckpointReader,
  IO_BUFFER_BYTES,
  NUMBERS_SECTION_MIN,
  TEXT_SECTION_MIN,
  writeCheckpoint,
} from "../../src/stream/checkpoint_codec.ts";
import { SessionStore } from "../../src/learn/session_store.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";

const T0 = 1_700_000_000;

/** A state with a model-like weight vector (several frames), a small array and a session store. */
interface BigState {
  batchId: number;
  name: string;
  weights: Float64Array;
  counts: Uint16Array;
  nested: { list: (number | null)[]; store: SessionStore };
}

const FORMAT: CheckpointFormat<BigState> = {
  name: "clickstream-codec-test",
  version: 1,
  reads: [1],
  read: (body) => body as BigState,
};

function bigState(sessions: number, weights: number): BigState {
  const store = new SessionStore({ layout: FIELD_FEATURES.layout, maxSessions: sessions });
  for (let i = 0; i < sessions; i++) {
    store.record({
      session_id: i === 7 ? "\ud800" : `s-${i}`,
      timestamp: T0 + i / 100,
      url: "/p",
      action: i % 11 === 0 ? "purchase" : "view",
      amount: i % 11 === 0 ? i / 3 : undefined,
    });
  }
  const w = new Float64Array(weights);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) * 1e-3;
  w[1] = -0;
  w[2] = NaN;
  w[3] = Infinity;
  return {
    batchId: 4,
    name: "big",
    weights: w,
    counts: Uint16Array.of(1, 2, 65535),
    nested: { list: [1, null, 2.5], store },
  };
}

const bitsOf = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a binary checkpoint round-trips typed arrays of any size bit for bit, as their own types, and session stores as stores", async () => {
  await withDir(async (dir) => {
    const store = new CheckpointStore(dir, { format: FORMAT });
    const state = bigState(5000, 400_000); // 3.2 MB of weights: several frames
    await store.save(state);
    const loaded = await store.loadLatest();
    assert.ok(loaded);
    const s = loaded.state;
    assert.ok(s.weights instanceof Float64Array);
    assert.deepEqual(bitsOf(s.weights), bitsOf(state.weights));
    assert.ok(s.counts instanceof Uint16Array);
    assert.deepEqual([...s.counts], [1, 2, 65535]);
    assert.deepEqual(s.nested.list, [1, null, 2.5]);
    assert.equal(s.name, "big");
    assert.ok(s.nested.store instanceof SessionStore);
    assert.deepEqual(s.nested.store.toJSON(), state.nested.store.toJSON());
  });
});

Deno.test("the checkpoint is written and read in pieces of at most IO_BUFFER_BYTES", async () => {
  await withDir(async (dir) => {
    const state = bigState(60_000, 2_000_000); // 16 MB of weights, ~5 MB of sessions
    const path = join(dir, "x.ckpt");
    const writes = await writeRecorded(path, state);
    const size = (await Deno.stat(path)).size;
    assert.equal(state.nested.store.size, 60_000);
    assert.ok(size > 16_000_000 + 60_000 * 80, `${size} bytes`);
    assert.ok(Math.max(...writes) <= IO_BUFFER_BYTES, `a write of ${Math.max(...writes)} bytes`);
    assert.equal(writes.reduce((a, b) => a + b, 0), size);
    const reads: number[] = [];
    using file = await Deno.open(path);
    const reader = new CheckpointReader({
      read: (p) => (reads.push(p.length), file.read(p)),
    });
    assert.ok("header" in await reader.header());
    const { state: back } = await reader.state();
    assert.ok(Math.max(...reads) <= IO_BUFFER_BYTES, `a read of ${Math.max(...reads)} bytes`);
    assert.deepEqual(bitsOf((back as BigState).weights), bitsOf(state.weights));
  });
});

/** Writes `state` to a new checkpoint at `path`; resolves to the length of each write. */
async function writeRecorded(path: string, state: unknown): Promise<number[]> {
  const writes: number[] = [];
  using file = await Deno.open(path, { write: true, create: true });
  await writeCheckpoint(
    { write: (p) => (writes.push(p.length), file.write(p)) },
    { format: FORMAT.name, version: 1 },
    state,
  );
  return writes;
}

/** The JSON skeleton of the checkpoint at `path`, parsed. */
async function skeletonTree(path: string) {
  const { bytes, skeleton, skeletonLength } = await layout(path);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(skeleton, skeleton + skeletonLength)));
}

/** Offsets into a checkpoint file of `state` (found by its structure). */
async function layout(file: string) {
  const bytes = await Deno.readFile(file);
  const view = new DataView(bytes.buffer);
  const headerLength = view.getUint32(8, true);
  const header = 12;
  const skeletonLength = view.getUint32(header + headerLength + 32, true);
  const skeleton = header + headerLength + 32 + 4;
  const firstSection = skeleton + skeletonLength;
  return { bytes, header, headerLength, skeleton, skeletonLength, firstSection };
}

Deno.test("a long array of numbers is written as float64 pieces, not JSON, and read back as the same plain array", async () => {
  await withDir(async (dir) => {
    // As the top-purchaser aggregate's columns: user ids, counts, amounts.
    const users = Array.from({ length: 300_000 }, (_, i) => i * 7 + 1);
    const amounts = Array.from({ length: 300_000 }, (_, i) => i / 3 - 5);
    amounts[1] = -0;
    const short = Array.from({ length: NUMBERS_SECTION_MIN - 1 }, (_, i) => i / 7);
    const withNaN = Array.from({ length: NUMBERS_SECTION_MIN }, (_, i) => (i === 3 ? NaN : i));
    const mixed = [...users.slice(0, NUMBERS_SECTION_MIN), "x"];
    const holes = new Array(NUMBERS_SECTION_MIN + 1); // `every` would skip the holes
    for (let i = 0; i < holes.length; i += 2) holes[i] = i;
    const state = { purchases: { users, amounts }, short, withNaN, mixed, holes, empty: [] };
    const path = join(dir, "n.ckpt");
    const writes = await writeRecorded(path, state);
    assert.ok(Math.max(...writes) <= IO_BUFFER_BYTES, `a write of ${Math.max(...writes)} bytes`);
    const tree = await skeletonTree(path);
    // The two long columns are sections; the others stay in the skeleton's JSON.
    assert.deepEqual(tree.state.purchases, { users: { $section: 0 }, amounts: { $section: 1 } });
    assert.deepEqual(tree.sections, [
      { kind: "numbers", count: 300_000 },
      { kind: "numbers", count: 300_000 },
    ]);
    assert.equal(tree.state.short.length, NUMBERS_SECTION_MIN - 1);
    using file = await Deno.open(path);
    const reader = new CheckpointReader(file);
    assert.ok("header" in await reader.header());
    const back = (await reader.state()).state as typeof state;
    assert.ok(Array.isArray(back.purchases.users) && Array.isArray(back.purchases.amounts));
    assert.deepEqual(back.purchases.users, users);
    assert.ok(Object.is(back.purchases.amounts[1], 0), "-0 reads back as 0, as in JSON");
    assert.deepEqual(back.purchases.amounts, amounts.map((x) => (x === 0 ? 0 : x)));
    assert.deepEqual(back.short, short);
    assert.deepEqual(back.withNaN, JSON.parse(JSON.stringify(withNaN)));
    assert.deepEqual(back.mixed, mixed);
    assert.deepEqual(back.holes, JSON.parse(JSON.stringify(holes)), "holes read back as null");
    assert.deepEqual(back.empty, []);
  });
});

Deno.test("a long string is written as UTF-8 pieces, not JSON, and read back as the same string", async () => {
  await withDir(async (dir) => {
    // As the metrics' ring: base64 text, here 2.5 pieces of it.
    const base64 = "QUJD+/9=".repeat(Math.ceil(2.5 * IO_BUFFER_BYTES / 8));
    // Characters of 1 to 4 UTF-8 bytes; the pairs straddle where a piece would end.
    const mixed = "aé€😀".repeat(Math.ceil(IO_BUFFER_BYTES / 5) * 2) + "z";
    const short = "x".repeat(TEXT_SECTION_MIN - 1);
    const lone = "\ud800" + "y".repeat(TEXT_SECTION_MIN); // not UTF-8-able: stays JSON
    const state = { ring: { loss: base64 }, mixed, short, lone, list: [base64.slice(0, 70_000)] };
    const path = join(dir, "t.ckpt");
    const writes = await writeRecorded(path, state);
    assert.ok(Math.max(...writes) <= IO_BUFFER_BYTES, `a write of ${Math.max(...writes)} bytes`);
    const tree = await skeletonTree(path);
    assert.deepEqual(tree.state.ring, { loss: { $section: 0 } });
    assert.deepEqual(tree.state.mixed, { $section: 1 });
    assert.deepEqual(tree.state.list, [{ $section: 2 }]);
    assert.equal(tree.state.short, short);
    assert.equal(tree.state.lone, lone);
    assert.deepEqual(tree.sections, [
      { kind: "text", length: base64.length },
      { kind: "text", length: mixed.length },
      { kind: "text", length: 70_000 },
    ]);
    using file = await Deno.open(path);
    const reader = new CheckpointReader(file);
    assert.ok("header" in await reader.header());
    const back = (await reader.state()).state;
    assert.deepStrictEqual(back, state);
    // Torn inside the first text section: refused, naming where.
    const torn = join(dir, "torn.ckpt");
    const { bytes, firstSection } = await layout(path);
    await Deno.writeFile(torn, bytes.subarray(0, firstSection + IO_BUFFER_BYTES));
    using tornFile = await Deno.open(torn);
    const tornReader = new CheckpointReader(tornFile);
    await tornReader.header();
    await assert.rejects(() => tornReader.state(), /ends in a piece of a text section/);
  });
});

Deno.test("a file from before text sections (a long string in the skeleton's JSON) is read", async () => {
  await withDir(async (dir) => {
    // Built by hand as the writer before text sections wrote it: the string inside the skeleton.
    const ring = "QUJD".repeat(TEXT_SECTION_MIN);
    const enc = new TextEncoder();
    const u32 = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);
    const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
    const head = enc.encode(JSON.stringify({ format: FORMAT.name, version: 1 }));
    const skeleton = enc.encode(JSON.stringify({ state: { ring: { loss: ring } }, sections: [] }));
    const parts = [
      CHECKPOINT_MAGIC,
      u32(head.length),
      head,
      sha(head),
      u32(skeleton.length),
      skeleton,
    ];
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.length), 0);
    const path = join(dir, "old.ckpt");
    await Deno.writeFile(path, new Uint8Array([...body, ...sha(body)]));
    using file = await Deno.open(path);
    const reader = new CheckpointReader(file);
    assert.ok("header" in await reader.header());
    assert.deepStrictEqual((await reader.state()).state, { ring: { loss: ring } });
  });
});

Deno.test("a damaged binary checkpoint is refused, saying what is wrong", async (t) => {
  await withDir(async (dir) => {
    const store = new CheckpointStore(dir, { format: FORMAT });
    const state = bigState(3000, 200_000);
    state.weights = new Float64Array(0); // the sessions' chunk comes first
    await store.save(state);
    const [file] = await store.list();
    const l = await layout(file);
    // weights: an empty section, no frames; counts: one frame of 6 bytes; then the sessions
    const sessionsAt = l.firstSection + 4 + 6 + 4;
    const flip = (at: number) => {
      const b = l.bytes.slice();
      b[at] ^= 0x04;
      return b;
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ["wrong magic", flip(1), /starts with neither the checkpoint magic nor a JSON header/],
      ["a flipped byte in the header", flip(l.header + 5), /the header's SHA-256 checksum/],
      ["a torn header", l.bytes.subarray(0, l.header + 3), /ends in the header.*torn write/],
      [
        "a flipped byte in the skeleton",
        flip(l.skeleton + Math.floor(l.skeletonLength / 2)),
        /checksum does not match the file|not JSON|section/,
      ],
      [
        "a flipped byte in a session chunk",
        flip(sessionsAt + 100_000),
        /checksum does not match the file|section 2/,
      ],
      ["a flipped byte in the trailer", flip(l.bytes.length - 3), /checksum does not match/],
      [
        "a truncated session chunk",
        l.bytes.subarray(0, sessionsAt + 1000),
        /ends in a session chunk.*torn write/,
      ],
      ["no trailer", l.bytes.subarray(0, l.bytes.length - 32), /ends in the trailing checksum/],
      ["bytes after the trailer", new Uint8Array([...l.bytes, 0]), /bytes follow/],
      ["empty", new Uint8Array(), /empty \(torn write\?\)/],
    ];
    for (const [name, bytes, message] of cases) {
      await t.step(name, async () => {
        const damaged = join(dir, "checkpoint-000000000099.ckpt");
        await Deno.writeFile(damaged, bytes);
        await assert.rejects(() => store.read(damaged), (error: unknown) => {
          assert.ok(error instanceof CheckpointCorruptError, String(error));
          assert.equal(error.file, damaged);
          assert.match(error.message, message);
          return true;
        });
        const corrupt: string[] = [];
        const again = new CheckpointStore(dir, {
          format: FORMAT,
          onCorrupt: (e) => corrupt.push(e.file),
        });
        assert.equal((await again.loadLatest())?.file, file, "the previous one is used");
        assert.deepEqual(corrupt, [damaged]);
        await Deno.remove(damaged);
      });
    }
  });
});

Deno.test("a binary checkpoint of another of the program's formats is refused, not taken for corrupt", async () => {
  await withDir(async (dir) => {
    await new CheckpointStore(dir, { format: FORMAT }).save(bigState(10, 10));
    const [file] = await new CheckpointStore(dir).list();
    assert.deepEqual((await Deno.readFile(file)).subarray(0, 8), CHECKPOINT_MAGIC);
    await assert.rejects(
      () => new CheckpointStore(dir).loadLatest(),
      (error: unknown) =>
        error instanceof CheckpointFormatError && error.format === FORMAT.name &&
        error.file === file,
    );
  });
});

Deno.test("a state holding a reserved key or an unsupported view cannot be checkpointed", async () => {
  await withDir(async (dir) => {
    const store = new CheckpointStore(dir, { format: FORMAT });
    const state = bigState(1, 1);
    await assert.rejects(
      () => store.save({ ...state, name: { $section: 0 } } as unknown as BigState),
      /"\$section" key: it is reserved/,
    );
    await assert.rejects(
      () => store.save({ ...state, counts: new BigInt64Array(1) } as unknown as BigState),
      /Cannot checkpoint a BigInt64Array/,
    );
  });
});
