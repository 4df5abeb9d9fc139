import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointCorruptError,
  CheckpointStore,
  type CrashPoint,
} from "../../src/stream/checkpoint.ts";
import { type SourceRecord, Trainer } from "../../src/stream/trainer.ts";
import {
  CheckpointMigrationError,
  FeatureSetMismatchError,
  type TrainerState,
} from "../../src/stream/trainer_state.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import { SESSION_FEATURES } from "../../src/learn/session_features.ts";
import { SessionStore, type SessionStoreState } from "../../src/learn/session_store.ts";
import { CHECKPOINT_MAGIC, CheckpointReader } from "../../src/stream/checkpoint_codec.ts";
import { writeJsonCheckpoint } from "./_json_checkpoint.ts";
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
    assert.equal(loaded.header.version, CHECKPOINT_VERSION);
    assert.equal(loaded.header.bytes, (await Deno.stat(loaded.file)).size);
    assert.ok(loaded.state.featurize.partitions[0].sessions instanceof SessionStore);
    assert.deepEqual(plain(loaded.state), plain(state));
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

/** `n` generator events as records of `partition` (seed 9), from offset `from`. */
function records(n: number, partition = 0): SourceRecord[] {
  const g = new SessionGenerator({ seed: 9 });
  return Array.from({ length: n }, (_, i) => ({
    topic: "t",
    partition,
    offset: i,
    key: null,
    value: encodeEvent(g.next()),
  }));
}

/**
 * Writes `body` as a JSON checkpoint of format `version` (1: one session store for all
 * partitions), with the encoder those versions had.
 */
async function writeVersion(dir: string, version: number, body: unknown): Promise<string> {
  const file = join(dir, "checkpoint-000000000001.ckpt");
  await writeJsonCheckpoint(
    file,
    { format: CHECKPOINT_FORMAT, version, batchId: 0, time: 5 },
    body,
  );
  return file;
}

/** A session store state as versions before layouts wrote it (version 1, no layout). */
function sessionsV1(state: SessionStoreState): SessionStoreState {
  const { layout: _, ...rest } = state;
  return { ...rest, version: 1 };
}

/**
 * The version-2 body of a state of the `position` set, as the version before feature sets wrote
 * it: no feature-set id in the learn stage, version-1 session stores.
 */
function asVersion2(state: TrainerState) {
  const { featureSet: _, featurize, ...rest } = plain(state);
  return {
    ...rest,
    featurize: {
      ...featurize,
      partitions: featurize.partitions.map((p) => ({
        ...p,
        sessions: sessionsV1(p.sessions as SessionStoreState),
      })),
    },
  };
}

/** The version-1 body of a one-process state: the one session store inside the learner. */
function asVersion1(
  state: TrainerState,
  sessions = plain(state).featurize.partitions[0]?.sessions as SessionStoreState | undefined,
) {
  const { featurize: _, featureSet: __, learner, ...rest } = plain(state);
  return { ...rest, learner: { ...learner, sessions: sessions && sessionsV1(sessions) } };
}

/** `state` as JSON-able data (its session stores as their JSON form), as older versions held it. */
function plain(state: TrainerState): TrainerState {
  return JSON.parse(JSON.stringify(state));
}

/** A trainer of the `position` set: the only one versions 1 and 2 knew. */
const positionTrainer = (restore?: TrainerState) =>
  new Trainer({ topic: "t", featureSet: POSITION_FEATURES, restore });

Deno.test("CheckpointStore migrates a version-1 checkpoint of one partition: resuming from it equals never stopping", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = records(3000);
    const first = positionTrainer();
    await first.processBatch(input.slice(0, 1200));
    await writeVersion(dir, 1, asVersion1(first.state()));
    const loaded = await new CheckpointStore(dir).loadLatest();
    assert.ok(loaded);
    assert.equal(loaded.header.version, 1);
    assert.deepEqual(loaded.state.featurize.partitions.map((p) => [p.partition, p.next]), [[
      0,
      1200,
    ]]);
    assert.equal("sessions" in loaded.state.learner, false);
    assert.equal(loaded.state.featureSet, POSITION_FEATURES.id);
    const resumed = positionTrainer(loaded.state);
    await resumed.processBatch(input.slice(1200));
    const straight = positionTrainer();
    await straight.processBatch(input.slice(0, 1200));
    await straight.processBatch(input.slice(1200));
    assert.deepEqual(
      JSON.parse(JSON.stringify(resumed.state())),
      JSON.parse(JSON.stringify(straight.state())),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore migrates a version-1 checkpoint that covers nothing yet", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeVersion(
      dir,
      1,
      asVersion1(positionTrainer().state(), {
        version: 1,
        idleSeconds: 1800,
        maxSessions: 100_000,
        watermark: null,
        expired: 0,
        evicted: 0,
        ids: [],
        fields: [],
      }),
    );
    const loaded = await new CheckpointStore(dir).loadLatest();
    assert.deepEqual(loaded?.state.featurize.partitions, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore refuses a version-1 checkpoint of several partitions, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainer = positionTrainer();
    await trainer.processBatch([...records(300, 0), ...records(200, 1)]);
    const state = trainer.state();
    const file = await writeVersion(
      dir,
      1,
      asVersion1(state, plain(state).featurize.partitions[0].sessions as SessionStoreState),
    );
    const corrupt: unknown[] = [];
    const store = new CheckpointStore(dir, { onCorrupt: (e) => corrupt.push(e) });
    await assert.rejects(
      () => store.loadLatest(),
      (error: unknown) => {
        assert.ok(error instanceof CheckpointMigrationError);
        assert.equal(error.file, file);
        assert.match(
          error.message,
          /one session store for all partitions, and it covers 2 \(0, 1\).*another --state-dir/,
        );
        return true;
      },
    );
    assert.deepEqual(corrupt, [], "not taken for a corrupt one (no silent fall back)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore writes format version 4 (binary: the magic first), with the feature set's id", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainer = new Trainer({ topic: "t", featureSet: FIELD_FEATURES });
    await trainer.processBatch(records(500));
    await new CheckpointStore(dir).save(trainer.state());
    const [file] = await new CheckpointStore(dir).list();
    assert.deepEqual((await Deno.readFile(file)).subarray(0, 8), CHECKPOINT_MAGIC);
    using opened = await Deno.open(file);
    const start = await new CheckpointReader(opened).header();
    assert.ok("header" in start);
    assert.equal(start.header.version, 4);
    assert.equal(start.header.format, CHECKPOINT_FORMAT);
    const loaded = await new CheckpointStore(dir).loadLatest();
    assert.equal(loaded?.state.featureSet, 3);
    assert.equal(loaded?.state.featurize.featureSet, 3);
    assert.deepEqual(loaded?.state.learner.model.featureNames, [...FIELD_FEATURES.names]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore migrates a version-2 checkpoint (the position set): resuming from it equals never stopping", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = records(3000);
    const first = positionTrainer();
    await first.processBatch(input.slice(0, 1400));
    await writeVersion(dir, 2, asVersion2(first.state()));
    const loaded = await new CheckpointStore(dir).loadLatest();
    assert.ok(loaded);
    assert.equal(loaded.header.version, 2);
    assert.equal(loaded.state.featureSet, POSITION_FEATURES.id);
    const resumed = positionTrainer(loaded.state);
    await resumed.processBatch(input.slice(1400));
    const straight = positionTrainer();
    await straight.processBatch(input.slice(0, 1400));
    await straight.processBatch(input.slice(1400));
    assert.deepEqual(
      JSON.parse(JSON.stringify(resumed.state())),
      JSON.parse(JSON.stringify(straight.state())),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore refuses a version-2 checkpoint whose features are not the position set's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainer = new Trainer({ topic: "t", featureSet: SESSION_FEATURES });
    await trainer.processBatch(records(300));
    const body = asVersion2(trainer.state());
    const file = await writeVersion(dir, 2, body);
    const corrupt: unknown[] = [];
    const store = new CheckpointStore(dir, { onCorrupt: (e) => corrupt.push(e) });
    await assert.rejects(
      () => store.loadLatest(),
      (error: unknown) => {
        assert.ok(error instanceof CheckpointMigrationError);
        assert.equal(error.file, file);
        assert.match(
          error.message,
          /version-2 checkpoint \(before feature sets\) whose features are not the "position" set's \(featurize stage: feature set 2; model: log_position, .*\)\. Train afresh with another --state-dir/,
        );
        return true;
      },
    );
    assert.deepEqual(corrupt, [], "not taken for a corrupt one (no silent fall back)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a state is resumed only with its own feature set: the refusal names both sets and --features", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const input = records(600);
    await writeVersion(
      dir,
      2,
      asVersion2(
        await (async () => {
          const trainer = positionTrainer();
          await trainer.processBatch(input);
          return trainer.state();
        })(),
      ),
    );
    const loaded = await new CheckpointStore(dir).loadLatest();
    assert.ok(loaded);
    await t.step("a migrated version-2 checkpoint under the default set", () => {
      assert.throws(
        () => new Trainer({ topic: "t", restore: loaded.state }),
        (error: unknown) => {
          assert.ok(error instanceof FeatureSetMismatchError);
          assert.equal(
            error.message,
            `Cannot resume from the saved state: it was trained with feature set "position" (id 1), not "shop" (id 4). Use --features position to continue it, or use another --state-dir to train "shop" afresh.`,
          );
          return true;
        },
      );
    });
    await t.step("a state of an id this version does not know", () => {
      const state = { ...loaded.state, featureSet: 9 };
      assert.throws(
        () => new Trainer({ topic: "t", featureSet: FIELD_FEATURES, restore: state }),
        /feature set id 9 \(unknown to this version\), not "fields" \(id 3\)\. Use another --state-dir to train "fields" afresh\./,
      );
    });
    await t.step("stages that disagree on the set", () => {
      const state = { ...loaded.state, featurize: { ...loaded.state.featurize, featureSet: 3 } };
      assert.throws(
        () => positionTrainer(state),
        /trained with feature set "fields" \(id 3\), not "position" \(id 1\)/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore migrates a version-3 (JSON) checkpoint: it resumes, and the next checkpoint is binary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = records(3000);
    const first = new Trainer({ topic: "t" });
    await first.processBatch(input.slice(0, 1500));
    const old = await writeVersion(dir, 3, plain(first.state()));
    const store = new CheckpointStore(dir);
    const loaded = await store.loadLatest();
    assert.ok(loaded);
    assert.equal(loaded.file, old);
    assert.equal(loaded.header.version, 3);
    assert.deepEqual(plain(loaded.state), plain(first.state()));
    const resumed = new Trainer({ topic: "t", restore: loaded.state });
    await resumed.processBatch(input.slice(1500));
    await store.save(resumed.state());
    const again = await store.loadLatest();
    assert.ok(again);
    assert.notEqual(again.file, old);
    assert.equal(again.header.version, CHECKPOINT_VERSION);
    assert.deepEqual((await Deno.readFile(again.file)).subarray(0, 8), CHECKPOINT_MAGIC);
    const straight = new Trainer({ topic: "t" });
    await straight.processBatch(input.slice(0, 1500));
    await straight.processBatch(input.slice(1500));
    assert.deepEqual(plain(again.state), plain(straight.state()));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CheckpointStore refuses a checkpoint of a version it does not read, naming the file and the version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainer = new Trainer({ topic: "t" });
    await trainer.processBatch(records(100));
    const file = await writeVersion(dir, 9, plain(trainer.state()));
    const corrupt: CheckpointCorruptError[] = [];
    const loaded = await new CheckpointStore(dir, { onCorrupt: (e) => corrupt.push(e) })
      .loadLatest();
    assert.equal(loaded, null);
    assert.equal(corrupt.length, 1);
    assert.equal(
      corrupt[0].message,
      `Checkpoint ${file} is unusable: format version 9, this program reads versions 1, 2, 3, 4`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
