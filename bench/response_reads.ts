/**
 * The socket reads of large Kafka responses alone, pooled against fresh: a local server sends
 * `--responses` responses of `--mib` MiB over loopback, read as kafkajs' framed sockets read them
 * (`net.connect` with `onread` through a `ResponseFramer`, `src/kafka/direct_response.ts`), each
 * response released once read (as `EventConsumer` with `recycleResponses` releases a fetch's).
 * `pooled` reads into the `ResponsePool`'s buffers again; `fresh` is the same with a pool that
 * keeps none (a new buffer per response, as before the pool). Each run is a process of its own;
 * the modes alternate, `--runs` times each. Prints per run the process's user and system
 * CPU-seconds (`process.cpuUsage`: the server's writes too, the same in both) and minor page
 * faults (`/proc/self/stat`) while reading, then the medians, with the load average.
 *
 * ```sh
 * deno run -A bench/response_reads.ts [--responses 44] [--mib 8] [--runs 5]
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import net from "node:net";
import process from "node:process";
import { parseArgs } from "node:util";
import { RecordColumns } from "../src/kafka/record_columns.ts";
import { ResponseFramer } from "../src/kafka/response_framer.ts";
import { claimPart, notePart, ResponsePool, settlePart } from "../src/kafka/response_pool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    responses: { type: "string", default: "44" },
    mib: { type: "string", default: "8" },
    runs: { type: "string", default: "5" },
    child: { type: "string" },
  },
  strict: true,
});
const RESPONSES = Number(values.responses), MIB = Number(values.mib), RUNS = Number(values.runs);
for (const [name, v] of [["responses", RESPONSES], ["mib", MIB], ["runs", RUNS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} ${v}: a positive integer`);
}

/** Minor page faults of this process so far (`/proc/self/stat` field 10). */
function minorFaults(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

/** One run in this process: reads the responses, prints `user sys faults` as JSON. */
async function child(mode: string): Promise<void> {
  if (mode !== "pooled" && mode !== "fresh") throw new TypeError(`--child ${mode}: pooled|fresh`);
  const size = MIB * 1024 * 1024;
  const frame = Buffer.alloc(4 + size, 1);
  frame.writeInt32BE(size, 0);
  const server = net.createServer(async (socket) => {
    for (let i = 0; i < RESPONSES; i++) {
      if (!socket.write(frame)) await new Promise((resolve) => socket.once("drain", resolve));
    }
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const pool = new ResponsePool(mode === "pooled" ? 4 : 0);
  pool.enable(); // as a consumer with recycleResponses does; "fresh" keeps no buffer
  let got = 0;
  const done = Promise.withResolvers<void>();
  const framer = new ResponseFramer(
    (response) => {
      // Released once read: one part, settled (the consumer's path for a fetch's one partition).
      const columns = new RecordColumns(response.subarray(8), 0);
      notePart(columns);
      settlePart(claimPart(columns)!);
      if (++got === RESPONSES) done.resolve();
    },
    65_536,
    pool,
  );
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    onread: {
      buffer: () => framer.buffer(),
      callback: (n: number) => {
        framer.read(n);
        return true;
      },
    },
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  const cpu0 = process.cpuUsage(), faults0 = minorFaults();
  await done.promise;
  const cpu = process.cpuUsage(cpu0);
  const faults = minorFaults() - faults0;
  socket.destroy();
  server.close();
  console.log(JSON.stringify({ user: cpu.user / 1e6, sys: cpu.system / 1e6, faults }));
}

if (values.child !== undefined) {
  await child(values.child);
} else {
  const loadavg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `${RESPONSES} responses of ${MIB} MiB over loopback, ${RUNS} runs per mode; load average ` +
      `at start ${loadavg()}`,
  );
  const results: Record<string, { user: number; sys: number; faults: number }[]> = {
    fresh: [],
    pooled: [],
  };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of r % 2 === 0 ? ["fresh", "pooled"] : ["pooled", "fresh"]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--child",
          mode,
          "--responses",
          String(RESPONSES),
          "--mib",
          String(MIB),
        ],
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`the ${mode} run failed`);
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      results[mode].push(result);
      console.log(
        `run ${r + 1} ${mode.padEnd(6)} user ${result.user.toFixed(3)} s  sys ${
          result.sys.toFixed(3)
        } s  minor faults ${result.faults}`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("mode    user s  sys s   user+sys  minor faults");
  for (const mode of ["fresh", "pooled"]) {
    const rs = results[mode];
    const u = median(rs.map((x) => x.user)), s = median(rs.map((x) => x.sys));
    const t = median(rs.map((x) => x.user + x.sys)), f = median(rs.map((x) => x.faults));
    console.log(
      `${mode.padEnd(7)} ${u.toFixed(3)}   ${s.toFixed(3)}   ${t.toFixed(3)}     ${f}`,
    );
  }
  console.log(`load average at end ${loadavg()}`);
}
