/**
 * The seek rule of exactly-once resumption: when a consumer is assigned partitions, which of
 * them must be moved, and where. The checkpoint is the truth; the group's committed offsets are
 * for lag monitoring and may disagree with it (a crash between a commit and the checkpoint that
 * covers it cannot happen, since only covered offsets are committed, but an operator may reset
 * the group, and a partition may have never been committed at all).
 *
 * For each assigned partition of each topic:
 * - **new**: the checkpoint has no offset for it → left alone (it starts where the group's
 *   committed offset or the consumer's starting-offset policy says);
 * - **missing**: the checkpoint has one, the group none → seek to the checkpoint's;
 * - **ahead**: the group's offset is past the checkpoint's → seek back to the checkpoint's (what
 *   lies between was never covered by a checkpoint, so it must be read again);
 * - **behind**: the group's offset is before the checkpoint's → left alone: what is redelivered
 *   below the checkpoint is skipped by offset, and counted;
 * - **equal**: left alone.
 *
 * A partition in the checkpoint but not in the assignment (**revoked**, or owned by another
 * member) gets no decision: it is not this consumer's to move. The rule knows nothing of what
 * the topic holds, so it serves a consumer of any topic (the input topic today, a feature log
 * later). It is a pure function; `resume_hook.ts` applies it to a live consumer.
 *
 * @module
 */

/** A partition and the next offset to read from it. */
export interface TopicOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The next offset to read; a negative one means none (Kafka's `-1`). */
  offset: number;
}

/** The partitions of one topic a consumer was given. */
export interface TopicAssignment {
  /** Topic. */
  topic: string;
  /** The partitions assigned. */
  partitions: readonly number[];
}

/** Why a partition is or is not moved; see the module documentation. */
export type SeekReason = "new" | "missing" | "ahead" | "behind" | "equal";

/** The rule's decision for one assigned partition. */
export interface SeekDecision {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Which case of the rule applies (see the module documentation). */
  reason: SeekReason;
  /** Where to seek, or `null` to leave the partition where the group has it. */
  seekTo: number | null;
}

const key = (topic: string, partition: number) => `${partition}@${topic}`;

function index(offsets: readonly TopicOffset[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const o of offsets) if (o.offset >= 0) map.set(key(o.topic, o.partition), o.offset);
  return map;
}

/**
 * The decision for every assigned partition, in assignment order.
 *
 * @param assignment the partitions given to the consumer
 * @param checkpoint the next offset per partition the checkpoint covers
 * @param committed the group's committed offsets (negative or absent: none)
 */
export function seekDecisions(
  assignment: readonly TopicAssignment[],
  checkpoint: readonly TopicOffset[],
  committed: readonly TopicOffset[],
): SeekDecision[] {
  const saved = index(checkpoint);
  const group = index(committed);
  const out: SeekDecision[] = [];
  for (const { topic, partitions } of assignment) {
    for (const partition of partitions) {
      const mine = saved.get(key(topic, partition));
      const theirs = group.get(key(topic, partition));
      let reason: SeekReason;
      if (mine === undefined) reason = "new";
      else if (theirs === undefined) reason = "missing";
      else if (theirs > mine) reason = "ahead";
      else if (theirs < mine) reason = "behind";
      else reason = "equal";
      const seekTo = reason === "missing" || reason === "ahead" ? mine! : null;
      out.push({ topic, partition, reason, seekTo });
    }
  }
  return out;
}

/** Only the seeks of {@linkcode seekDecisions}: the partitions to move and where to. */
export function seeksFor(
  assignment: readonly TopicAssignment[],
  checkpoint: readonly TopicOffset[],
  committed: readonly TopicOffset[],
): TopicOffset[] {
  return seekDecisions(assignment, checkpoint, committed)
    .filter((d) => d.seekTo !== null)
    .map((d) => ({ topic: d.topic, partition: d.partition, offset: d.seekTo! }));
}
