/**
 * The checkpoint's size, write and restore time and peak extra memory, old JSON format (version 3,
 * the encoder kept in `tests/stream/_json_checkpoint.ts`) against the binary one (version 4,
 * `src/stream/checkpoint_codec.ts`), for a trainer with 100k and 1M live sessions (one
 * partition, the default feature set). Each write and each restore runs in a child process of its
 * own, so its peak is its own: the child resets its peak RSS (`/proc/self/clear_refs`), works,
 * and reports `VmHWM` minus the RSS it started from (after a GC). Formats alternate
 * (JSON first in odd rounds, binary first in even ones); the figures are medians of 3.
 *
 * ```sh
 * deno run -A bench/checkpoint_size.ts [sessions...]   # default 100000 1000000
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { join } from "node:path";
import { encodeEvent } from "../src/events/schema.ts";
import { CHECKPOINT_FORMAT, CheckpointStore } from "../src/stream/checkpoint.ts";
import { type SourceRecord, Trainer } from "../src/stream/trainer.ts";
import { SessionStore } from "../src/learn/session_store.ts";
import { writeJsonCheckpoint } from "../tests/stream/_json_checkpoint.ts";

type Format = "json" | "binary";
const ROUNDS = 3;
const IDLE = 1e9; // no session expires during the bench

interface Measure {
  ms: number;
  cpuMs: number;
  /** Peak RSS above the RSS at the start, MB. */
  peakExtraMB: number;
  /** RSS after, MB (after a GC: what the process keeps). */
  rssAfterMB: number;
  bytes: number;
  sessions: number;
}

const args = parseArgs({
  args: Deno.args,
  options: {
    child: { type: "string" },
    format: { type: "string" },
    sessions: { type: "string" },
    file: { type: "string" },
  },
  allowPositionals: true,
});

const gc = (globalThis as { gc?: () => void }).gc;

function status(field: "VmRSS" | "VmHWM"): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) =>
    l.startsWith(field + ":")
  );
  if (line === undefined) throw new Error(`No ${field} in /proc/self/status`);
  return Number(line.split(/\s+/)[1]) / 1024; // kB → MB
}

/** Starts a measurement: a GC, the RSS, the peak reset to it. */
function start() {
  gc?.();
  const rss = status("VmRSS");
  Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  return { rss, t: performance.now(), cpu: cpuUsage() };
}

function stop(s: ReturnType<typeof start>, bytes: number, sessions: number): Measure {
  const ms = performance.now() - s.t;
  const cpu = cpuUsage(s.cpu);
  const peakExtraMB = status("VmHWM") - s.rss;
  gc?.();
  return {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakExtraMB,
    rssAfterMB: status("VmRSS"),
    bytes,
    sessions,
  };
}

async function trainerWith(sessions: number): Promise<Trainer> {
  const trainer = new Trainer({
    topic: "t",
    learner: { store: { maxSessions: sessions, idleSeconds: IDLE } },
  });
  const t0 = 1_700_000_000;
  const batch = 50_000;
  for (let from = 0; from < sessions; from += batch) {
    const records: SourceRecord[] = [];
    for (let i = from; i < Math.min(sessions, from + batch); i++) {
      const event = {
        user_id: 1 + (i % 100_000),
        url: `/products?${i.toString(36)}`,
        session_id: `session-${i.toString(16).padStart(8, "0")}`,
        timestamp: t0 + Math.floor(i / 100),
        action: "view" as const,
      };
      records.push({ topic: "t", partition: 0, offset: i, key: null, value: encodeEvent(event) });
    }
    await trainer.processBatch(records);
  }
  return trainer;
}

function liveSessions(trainer: Trainer): number {
  const live = trainer.state().featurize.partitions[0].sessions;
  return live instanceof SessionStore ? live.size : live.ids.length;
}

async function child(mode: string, format: Format, sessions: number, file: string) {
  let m: Measure;
  if (mode === "write") {
    const trainer = await trainerWith(sessions);
    const s = start();
    let bytes: number;
    if (format === "json") {
      const state = trainer.state();
      bytes = await writeJsonCheckpoint(file, {
        format: CHECKPOINT_FORMAT,
        version: 3,
        batchId: state.batchId,
        time: Date.now(),
      }, state);
    } else {
      const dir = join(file, "..");
      const header = await new CheckpointStore(dir, { keep: 1 }).save(trainer.state());
      bytes = header.bytes;
    }
    m = stop(s, bytes, liveSessions(trainer));
    if (format === "binary") {
      const [written] = await new CheckpointStore(join(file, "..")).list();
      await Deno.rename(written, file);
    }
  } else {
    const s = start();
    const store = new CheckpointStore(join(file, ".."));
    const loaded = await store.read(file);
    const trainer = new Trainer({
      topic: "t",
      restore: loaded.state,
      learner: { store: { maxSessions: sessions, idleSeconds: IDLE } },
    });
    m = stop(s, (await Deno.stat(file)).size, liveSessions(trainer));
  }
  console.log(JSON.stringify(m));
}

async function run(mode: string, format: Format, sessions: number, file: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      import.meta.filename!,
      "--child",
      mode,
      "--format",
      format,
      "--sessions",
      String(sessions),
      "--file",
      file,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`The ${mode} child (${format}, ${sessions}) failed.`);
  const m: Measure = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  if (m.sessions !== sessions) {
    throw new Error(`The ${mode} child (${format}) saw ${m.sessions} sessions, not ${sessions}.`);
  }
  return m;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadavg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

async function main() {
  const sizes = args.positionals.length > 0 ? args.positionals.map(Number) : [100_000, 1_000_000];
  console.log(`load average at start: ${loadavg()} (${navigator.hardwareConcurrency} cores)`);
  const rows: string[] = [];
  for (const sessions of sizes) {
    const dir = await Deno.makeTempDir({ prefix: "ckpt-bench-" });
    const results: Record<Format, { write: Measure[]; restore: Measure[] }> = {
      json: { write: [], restore: [] },
      binary: { write: [], restore: [] },
    };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const order: Format[] = round % 2 === 0 ? ["json", "binary"] : ["binary", "json"];
        for (const format of order) {
          const file = join(dir, `bench-${format}.ckpt`);
          results[format].write.push(await run("write", format, sessions, file));
          results[format].restore.push(await run("restore", format, sessions, file));
          await Deno.remove(file);
          console.error(`  ${sessions} sessions, round ${round + 1}, ${format}: done`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const m = (f: Format, step: "write" | "restore", k: keyof Measure) =>
      median(results[f][step].map((r) => r[k]));
    for (const f of ["json", "binary"] as const) {
      rows.push(
        [
          sessions.toLocaleString("en"),
          f,
          (m(f, "write", "bytes") / 1e6).toFixed(1),
          m(f, "write", "ms").toFixed(0),
          (m(f, "write", "cpuMs") / 1000).toFixed(2),
          m(f, "write", "peakExtraMB").toFixed(0),
          m(f, "restore", "ms").toFixed(0),
          (m(f, "restore", "cpuMs") / 1000).toFixed(2),
          m(f, "restore", "peakExtraMB").toFixed(0),
          m(f, "restore", "rssAfterMB").toFixed(0),
        ].join(" | "),
      );
    }
    const ratio = (step: "write" | "restore", k: keyof Measure) =>
      (m("json", step, k) / m("binary", step, k)).toFixed(2);
    rows.push(
      `${sessions.toLocaleString("en")} | json/binary | ${ratio("write", "bytes")}× | ${
        ratio("write", "ms")
      }× | ${ratio("write", "cpuMs")}× | ${ratio("write", "peakExtraMB")}× | ${
        ratio("restore", "ms")
      }× | ${ratio("restore", "cpuMs")}× | ${ratio("restore", "peakExtraMB")}× | ${
        ratio("restore", "rssAfterMB")
      }×`,
    );
  }
  console.log(
    "sessions | format | file MB | write ms | write CPU s | write peak extra MB | restore ms | restore CPU s | restore peak extra MB | RSS after restore MB",
  );
  console.log("---|---|---|---|---|---|---|---|---|---");
  for (const row of rows) console.log(row);
  console.log(`load average at end: ${loadavg()}`);
}

if (args.values.child !== undefined) {
  const format = args.values.format as Format;
  if (format !== "json" && format !== "binary") throw new TypeError(`Unknown format ${format}`);
  await child(args.values.child, format, Number(args.values.sessions), args.values.file!);
} else {
  await main();
}
