/**
 * The feature-log records `learn`'s in-process benchmarks learn (`learn_rows.ts`,
 * `learn_rows_alternated.ts`): generator events (`SessionGenerator`, seed 5, spread over 6
 * partitions by session) through the `FeaturizeStage`, packed by `packRows` in a checkout's own
 * record format, and cut into micro-batches of `batch` rows as `learn`'s batcher closes them.
 *
 * The records sit in one buffer per 20,000 rows, one after the other with 61–67 bytes between
 * them, as a fetched response holds record values (at any alignment); `aligned` gives each record
 * its own buffer instead (every one 8-aligned).
 *
 * @module
 */

/** What {@linkcode learnRecords} makes. */
export interface LearnRecords {
  /** Every record, in log order. */
  records: Uint8Array[];
  /** The records of each micro-batch. */
  batches: Uint8Array[][];
  /** Each partition's end offset (events per partition). */
  ends: number[];
  /** Rows in all. */
  total: number;
  /** The records' bytes in all. */
  bytes: number;
}

/**
 * `rows` rows of the default feature set made by the checkout whose `src/` is at the file URL
 * `src`, in micro-batches of `batch` rows.
 */
export async function learnRecords(
  src: string,
  rows: number,
  batch: number,
  aligned: boolean,
): Promise<LearnRecords> {
  const { SessionGenerator } = await import(`${src}/generator/session_generator.ts`);
  const { encodeEvent } = await import(`${src}/events/schema.ts`);
  const { featureRows, FeaturizeStage } = await import(`${src}/stream/featurize_stage.ts`);
  const { packRows, rowCount } = await import(`${src}/stream/row_codec.ts`);
  const { RowBatch } = await import(`${src}/stream/row_batch.ts`);
  const { DEFAULT_FEATURE_SET } = await import(`${src}/learn/feature_sets.ts`);

  const schema = featureRows(DEFAULT_FEATURE_SET);
  const generator = new SessionGenerator({ seed: 5 });
  const featurizer = new FeaturizeStage({ featureSet: DEFAULT_FEATURE_SET });
  const home = new Map<string, number>();
  const ends: number[] = new Array(6).fill(0);
  const records: Uint8Array[] = [];
  for (let done = 0; done < rows;) {
    const chunk = [];
    for (let i = 0; i < 20_000 && done < rows; i++, done++) {
      const e = generator.next();
      let p = home.get(e.session_id);
      if (p === undefined) home.set(e.session_id, p = home.size % 6);
      chunk.push({
        topic: "clicks",
        partition: p,
        offset: ends[p]++,
        key: null,
        value: encodeEvent(e),
      });
    }
    const featurized = new RowBatch(schema, { capacity: chunk.length });
    featurizer.featurize(chunk, featurized);
    const packed: Uint8Array[] = packRows(featurized);
    if (aligned) records.push(...packed);
    else {
      // As a fetched response holds them: one after the other in one buffer, a record's Kafka
      // framing (here 61–67 bytes) between values, so a value starts at any alignment.
      const gap = (i: number) => 61 + (i % 7);
      const size = packed.reduce((n, r, i) => n + gap(i) + r.byteLength, 0);
      const buffer = new Uint8Array(size);
      let at = 0;
      packed.forEach((r, i) => {
        at += gap(i);
        buffer.set(r, at);
        records.push(buffer.subarray(at, at += r.byteLength));
      });
    }
  }
  const batches: Uint8Array[][] = [[]];
  let inBatch = 0, total = 0;
  for (const record of records) {
    if (inBatch >= batch) batches.push([]), inBatch = 0;
    batches[batches.length - 1].push(record);
    inBatch += rowCount(record);
    total += rowCount(record);
  }
  const bytes = records.reduce((n, r) => n + r.byteLength, 0);
  return { records, batches, ends, total, bytes };
}
