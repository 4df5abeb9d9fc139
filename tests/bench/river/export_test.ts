import assert from "node:assert/strict";
import { eventLine, exportChunks, ExportError, exportToFile } from "../../../bench/river/export.ts";
import type { WireEvent } from "../../../src/events/wire.ts";
import { createGenerator } from "../../../src/generator/create_generator.ts";
import { PROFILES } from "../../../src/generator/generator.ts";
import { FEATURE_SETS } from "../../../src/learn/feature_sets.ts";
import { Learner } from "../../../src/learn/learner.ts";
import { requireTool } from "../../_helpers/tools.ts";

interface Line {
  x: Record<string, number>;
  y: number;
  p: number;
}

const EVENTS = 700;

/** The rows, labels and truths the trainer's learner sees for the first `n` events. */
function learnerRows(profile: typeof PROFILES[number], set: typeof FEATURE_SETS[number]) {
  const gen = createGenerator(profile, { seed: 42 });
  const learner = new Learner({ featureSet: set, batchCapacity: 256 });
  const rows: number[][] = [], labels: number[] = [], truth: number[] = [];
  const sparse: Record<string, number>[] = [];
  for (let done = 0; done < EVENTS; done += 250) {
    const n = Math.min(250, EVENTS - done);
    const events: WireEvent[] = [], p: number[] = [];
    for (let i = 0; i < n; i++) {
      events.push(gen.next());
      p.push(gen.probability);
    }
    const batch = learner.learn(events, { truth: p });
    for (let i = 0; i < n; i++) {
      rows.push(Array.from(batch.rows.subarray(i * set.width, (i + 1) * set.width)));
      const [from, to] = batch.sparseExtent(i);
      const part: Record<string, number> = {};
      for (let k = from; k < to; k++) part[`h${batch.sparseIndex[k]}`] = batch.sparseValue[k];
      sparse.push(part);
      labels.push(batch.labels[i]);
      truth.push(batch.truth[i]);
    }
  }
  return { rows, labels, truth, sparse };
}

Deno.test("exportChunks() writes the learner's own rows, labels and truths, keyed by the set's names", async (t) => {
  for (const profile of PROFILES) {
    for (const set of FEATURE_SETS) {
      await t.step(`${profile} ${set.name}`, () => {
        const chunks = [
          ...exportChunks({ profile, featureSet: set.name, events: EVENTS, chunkSize: 128 }),
        ];
        assert.equal(chunks.length, Math.ceil(EVENTS / 128));
        assert.ok(chunks.every((c) => c.endsWith("\n")));
        const lines = chunks.join("").split("\n").slice(0, -1).map((l) => JSON.parse(l) as Line);
        assert.equal(lines.length, EVENTS);
        const want = learnerRows(profile, set);
        let purchases = 0;
        for (const [i, line] of lines.entries()) {
          const keys = Object.keys(line.x);
          assert.deepEqual(
            keys.slice(0, set.width),
            set.names,
            `event ${i}: the set's names in order`,
          );
          // the sparse part (hashed url buckets) after them, as the learner's batch has it
          const hashed = Object.fromEntries(keys.slice(set.width).map((k) => [k, line.x[k]]));
          assert.deepEqual(hashed, want.sparse[i], `event ${i}: sparse part`);
          if ((set.urlBuckets ?? 0) > 0) {
            assert.equal(keys.length, set.width + 1, `event ${i}: one bucket per event`);
            assert.match(keys[set.width], /^h\d+$/);
            assert.ok(Math.abs(line.x[keys[set.width]]) === 1, `event ${i}: a signed bucket`);
          } else {
            assert.equal(keys.length, set.width, `event ${i}: no sparse part`);
          }
          // === so that a -0 (which JSON writes as 0) counts as equal
          const row = set.names.map((name) => line.x[name]);
          const differs = row.findIndex((v, j) => v !== want.rows[i][j]);
          assert.equal(
            differs,
            -1,
            `event ${i}, ${set.names[differs]}: ${row[differs]} vs ${want.rows[i][differs]}`,
          );
          assert.equal(line.y, want.labels[i], `event ${i}: label`);
          assert.equal(line.p, want.truth[i], `event ${i}: truth`);
          purchases += line.y;
        }
        assert.ok(purchases > 0 && purchases < EVENTS, `both classes among ${EVENTS} events`);
      });
    }
  }
});

Deno.test("eventLine() is one JSON object that Python's json reads as the same numbers", async () => {
  const names = ["log_position", "hour_sin", "page_cart"];
  const row = new Float64Array([9, 0.1, -2.5e-7, 1, 7]);
  const line = eventLine(names, row, 1, 1, 0.047425873177566774);
  assert.equal(
    line,
    '{"x":{"log_position":0.1,"hour_sin":-2.5e-7,"page_cart":1},"y":1,"p":0.047425873177566774}',
  );
  assert.deepEqual(JSON.parse(line), {
    x: { log_position: 0.1, hour_sin: -2.5e-7, page_cart: 1 },
    y: 1,
    p: 0.047425873177566774,
  });
  // the exported lines through Python's json and back: every number the same double
  await requireTool("pythonVenv"); // brings python3
  const exported =
    [...exportChunks({ profile: "funnel", featureSet: "fields", events: 300 })].join("") + line +
    "\n";
  const child = new Deno.Command("python3", {
    args: ["-c", "import json, sys\nfor l in sys.stdin: print(json.dumps(json.loads(l)))"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const output = child.output(); // read while writing: the lines outgrow a pipe's buffer
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(exported));
  await writer.close();
  const out = await output;
  assert.ok(out.success, "python3 read every line");
  const again = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(again, exported.trim().split("\n").map((l) => JSON.parse(l)));
});

Deno.test("eventLine() writes a sparse part as h<i> keys after the dense features", () => {
  const sparse = { index: [7, 4095, 12], value: [1, -1, 1], from: 1, to: 3 };
  assert.equal(
    eventLine(["a"], new Float64Array([0.5]), 0, 0, 0.1, sparse),
    '{"x":{"a":0.5,"h4095":-1,"h12":1},"y":0,"p":0.1}',
  );
  assert.throws(
    () => eventLine(["a"], new Float64Array([0.5]), 0, 0, 0.1, { ...sparse, value: [1, NaN, 1] }),
    new ExportError("Cannot export feature h4095 = NaN: JSON has no such number."),
  );
});

Deno.test("eventLine() refuses a value JSON cannot carry, naming it", () => {
  assert.throws(
    () => eventLine(["a", "b"], new Float64Array([1, NaN]), 0, 0, 0.5),
    new ExportError("Cannot export feature b = NaN: JSON has no such number."),
  );
  assert.throws(
    () => eventLine(["a"], new Float64Array([Infinity]), 0, 0, 0.5),
    new ExportError("Cannot export feature a = Infinity: JSON has no such number."),
  );
  assert.throws(
    () => eventLine(["a"], new Float64Array([1]), 0, 0, NaN),
    new ExportError("Cannot export true probability NaN: expected a number in [0, 1]."),
  );
});

Deno.test("exportChunks() rejects bad sizes and an unknown feature set, naming the value", () => {
  const next = (o: Parameters<typeof exportChunks>[0]) => exportChunks(o).next();
  assert.throws(
    () => next({ profile: "original", featureSet: "session", events: 0 }),
    new RangeError("Cannot export with events 0: expected a positive integer."),
  );
  assert.throws(
    () => next({ profile: "original", featureSet: "session", events: 10, chunkSize: 1.5 }),
    new RangeError("Cannot export with chunkSize 1.5: expected a positive integer."),
  );
  assert.throws(() => next({ profile: "original", featureSet: "pages", events: 10 }), /"pages"/);
});

Deno.test("exportToFile() writes the chunks' lines and returns their bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = {
      profile: "original" as const,
      featureSet: "session",
      events: 250,
      chunkSize: 100,
    };
    const bytes = await exportToFile(options, `${dir}/e.jsonl`);
    const text = await Deno.readTextFile(`${dir}/e.jsonl`);
    assert.equal(text, [...exportChunks(options)].join(""));
    assert.equal(bytes, new TextEncoder().encode(text).length);
    assert.equal(text.split("\n").length, 251);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
