/**
 * `ResumePoints`: where a partition must go on after `EventConsumer` gave up batches it had read
 * ahead. Reading ahead, a batch's offsets are resolved in kafkajs when it is handed over, so
 * kafkajs' fetches of its partition already go on after it. When the batch is given up with
 * records not yet taken (a rebalance, a restart), those records must be fetched again — and no
 * batch fetched from past them may be handed over meanwhile: the consumer's filter by processed
 * offset would then skip them for good. A batch still in flight from before can come (with two or
 * more brokers kafkajs has a fetcher per broker, and one may rejoin the group while another's
 * fetch is on its way), and so can one fetched after a heartbeat failed but before kafkajs
 * rejoined.
 *
 * So the consumer notes, per partition, the first offset given up untaken; a later batch of the
 * partition fetched from past it is refused (and kafkajs' position set back to it), and the first
 * batch fetched from at or before it lifts the note. A seek of the partition, or its going to
 * another member, forgets the note.
 *
 * @module
 */

/** Per partition key, the first offset given up untaken; see the module documentation. */
export class ResumePoints {
  #at = new Map<string, number>();

  /** Notes that the records of partition `key` from `offset` on were given up untaken. */
  gaveUp(key: string, offset: number): void {
    const at = this.#at.get(key);
    if (at === undefined || offset < at) this.#at.set(key, offset);
  }

  /**
   * Whether a batch of partition `key` fetched from `fetchedOffset` may be handed over. `true`
   * when no note holds it back (a note at or past `fetchedOffset` is lifted: the batch goes on
   * from there). Otherwise the note's offset: where kafkajs must fetch from again.
   */
  admit(key: string, fetchedOffset: number): true | number {
    const at = this.#at.get(key);
    if (at === undefined) return true;
    if (fetchedOffset > at) return at;
    this.#at.delete(key);
    return true;
  }

  /** Forgets the note of partition `key` (a seek sets its position anew). */
  forget(key: string): void {
    this.#at.delete(key);
  }

  /** Forgets the notes of partitions `assigned` says are no longer this member's. */
  keep(assigned: (key: string) => boolean): void {
    for (const key of [...this.#at.keys()]) if (!assigned(key)) this.#at.delete(key);
  }

  /** The note of partition `key`, if there is one. */
  get(key: string): number | undefined {
    return this.#at.get(key);
  }
}
