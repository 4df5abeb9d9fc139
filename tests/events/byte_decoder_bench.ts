/**
 * Throughput of the byte decoder against today's `tryDecodeEvents` (the baseline) on the same
 * 10,000 generator records per iteration: records/s = 10,000 / (time per iteration). Two
 * groups: decoding alone, and decoding plus finding each event's session (a `Map` keyed by the
 * decoded string against a `ByteKeyIndex` keyed by the record's bytes).
 *
 * ```sh
 * deno bench -A tests/events/byte_decoder_bench.ts
 * ```
 *
 * Heap growth and GC counts over a million records: `bench/decode_alloc.ts`.
 */
import { DecodedBatch, ROW_FAST } from "../../src/events/byte_decoder.ts";
import { encodeEvent, tryDecodeEvents } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { ByteKeyIndex } from "../../src/learn/byte_key_index.ts";

const N = 10_000;
const gen = new SessionGenerator({ seed: 16 });
const records: Uint8Array[] = Array.from({ length: N }, () => encodeEvent(gen.next()));
/** The same events in the original's spacing (`", "`, `": "`), as its Python producers wrote. */
const spaced: Uint8Array[] = records.map((r) =>
  new TextEncoder().encode(
    new TextDecoder().decode(r).replaceAll('","', '", "').replaceAll(',"', ', "').replaceAll(
      '":',
      '": ',
    ),
  )
);
const batch = new DecodedBatch({ capacity: N });

function checkAll(ok: number): void {
  if (ok !== N) throw new Error(`only ${ok} of ${N} records decoded`);
}

Deno.bench("tryDecodeEvents, 10k generator records", { group: "decode", baseline: true }, () => {
  let ok = 0;
  for (const r of tryDecodeEvents(records)) if (r.ok) ok++;
  checkAll(ok);
});

Deno.bench("DecodedBatch.decode, 10k generator records", { group: "decode" }, () => {
  batch.decode(records);
  const status = batch.status;
  let ok = 0;
  for (let i = 0; i < N; i++) if (status[i] === ROW_FAST) ok++;
  checkAll(ok);
});

Deno.bench("tryDecodeEvents, 10k records in the original's spacing", { group: "decode" }, () => {
  let ok = 0;
  for (const r of tryDecodeEvents(spaced)) if (r.ok) ok++;
  checkAll(ok);
});

Deno.bench(
  "DecodedBatch.decode, 10k records in the original's spacing",
  { group: "decode" },
  () => {
    batch.decode(spaced);
    const status = batch.status;
    let ok = 0;
    for (let i = 0; i < N; i++) if (status[i] === ROW_FAST) ok++;
    checkAll(ok);
  },
);

const sessions = new Map<string, number>();
const index = new ByteKeyIndex({ initialCapacity: 8192 });

Deno.bench(
  "tryDecodeEvents + Map<string> session lookup, 10k records",
  { group: "decode + session", baseline: true },
  () => {
    let ok = 0;
    for (const r of tryDecodeEvents(records)) {
      if (!r.ok) continue;
      const id = r.event.session_id;
      let slot = sessions.get(id);
      if (slot === undefined) sessions.set(id, slot = sessions.size);
      ok += slot >= 0 ? 1 : 0;
    }
    checkAll(ok);
  },
);

Deno.bench(
  "DecodedBatch.decode + ByteKeyIndex lookup, 10k records",
  { group: "decode + session" },
  () => {
    batch.decode(records);
    const start = batch.sessionStart, length = batch.sessionLength, hash = batch.sessionHash;
    let ok = 0;
    for (let i = 0; i < N; i++) {
      const bytes = batch.bytes(i);
      let slot = index.lookup(bytes, start[i], length[i], hash[i]);
      if (slot < 0) slot = index.insert(bytes, start[i], length[i], hash[i]);
      ok += slot >= 0 ? 1 : 0;
    }
    checkAll(ok);
  },
);
