/**
 * The offset bookkeeping of one `EventConsumer`: which partitions this member has, how far it
 * has processed each (the next offset to read), and what it last committed, so that it commits
 * exactly the processed offsets, only of partitions it still has, and only when they moved.
 * Keys are `partKey(topic, partition)`.
 *
 * @module
 */

import { type PartitionOffset, partKey, type TopicPartitions } from "./consumed_record.ts";

/** Offsets in the shape kafkajs' `commitOffsetsIfNecessary` takes. */
export interface CommitRequest {
  /** Per topic, the partitions and the next offset to read (as a decimal string). */
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
}

/** Assigned partitions, processed and committed offsets of one consumer-group member. */
export class ConsumerOffsets {
  /** Next offset per partition after the records processed so far. */
  #processed = new Map<string, PartitionOffset & { topic: string }>();
  /** What was last committed per partition. */
  #committed = new Map<string, number>();
  #assigned = new Set<string>();

  /**
   * Takes a new assignment (after a group join), and forgets the partitions given away: their
   * offsets are now another member's to commit.
   */
  assign(assignment: readonly TopicPartitions[]): void {
    this.#assigned = new Set(
      assignment.flatMap(({ topic, partitions }) => partitions.map((p) => partKey(topic, p))),
    );
    for (const key of [...this.#processed.keys()]) {
      if (!this.#assigned.has(key)) this.#processed.delete(key);
    }
    for (const key of [...this.#committed.keys()]) {
      if (!this.#assigned.has(key)) this.#committed.delete(key);
    }
  }

  /** Whether partition `key` is this member's in the last assignment. */
  isAssigned(key: string): boolean {
    return this.#assigned.has(key);
  }

  /** The next offset to read of partition `key` after what was processed, if anything was. */
  next(key: string): number | undefined {
    return this.#processed.get(key)?.offset;
  }

  /** Counts the record at `offset` of partition `key` as processed, if the partition is ours. */
  markProcessed(key: string, topic: string, partition: number, offset: number): void {
    if (!this.#assigned.has(key)) return;
    const processed = this.#processed.get(key);
    if (processed === undefined) {
      this.#processed.set(key, { topic, partition, offset: offset + 1 });
    } else if (offset + 1 > processed.offset) {
      processed.offset = offset + 1; // processedOffsets() hands out copies
    }
  }

  /** Records that partition `key` was committed at `offset` (the next offset to read). */
  markCommitted(key: string, offset: number): void {
    this.#committed.set(key, offset);
  }

  /** Forgets what was processed and committed of partition `key` (a seek). */
  forget(key: string): void {
    this.#processed.delete(key);
    this.#committed.delete(key);
  }

  /**
   * Commits, through `commit`, the processed offsets of assigned partitions that moved since
   * their last commit; nothing when none did.
   */
  async commitProcessed(commit: (offsets: CommitRequest) => Promise<void>): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    const done: [string, number][] = [];
    for (const [key, p] of this.#processed) {
      if (!this.#assigned.has(key) || this.#committed.get(key) === p.offset) continue;
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, list = []);
      list.push({ partition: p.partition, offset: String(p.offset) });
      done.push([key, p.offset]);
    }
    if (done.length === 0) return;
    await commit({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    for (const [key, offset] of done) this.#committed.set(key, offset);
  }

  /** The assigned partitions, sorted. */
  assignment(): TopicPartitions[] {
    const map = new Map<string, number[]>();
    for (const key of this.#assigned) {
      const [topic, partition] = key.split("\u0000");
      if (!map.has(topic)) map.set(topic, []);
      map.get(topic)!.push(Number(partition));
    }
    return [...map].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }));
  }

  /** Copies of the processed offsets (the next offset to read per partition). */
  processedOffsets(): PartitionOffset[] {
    return [...this.#processed.values()].map((p) => ({ ...p }));
  }
}
