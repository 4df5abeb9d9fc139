/**
 * The featurizers' lag as it reaches a learner (`learn`, docs/design.md "Scaling out"): per input
 * partition, its end offset against the next offset of it the model covers, and the feature
 * log's end against the model version (the log offset the model has consumed up to).
 *
 * The two split the way behind: the log's unread records are the learner's own lag; what an input
 * partition is behind once the log is read to its end (`logUnread` 0) is the featurizers' — the
 * records of it no row has reached the log for yet. Both come from end offsets polled off the hot
 * path (`broker_watch.ts`), so each is as old as the last poll.
 *
 * @module
 */

/** One input partition as a learner sees it. */
export interface SourceLag {
  /** The input partition. */
  partition: number;
  /** The input partition's end offset (high watermark) at the last poll. */
  endOffset: number;
  /** The next offset of it the model covers: every record below was learnt or counted as bad. */
  nextOffset: number;
  /** Records of it not in the model yet: `endOffset − nextOffset`, at least 0. */
  behind: number;
}

/** The featurizers' lag as it reaches a learner; see the module documentation. */
export interface FeatureLogLag {
  /** The feature log's end offset at the last poll; `null` until one succeeded. */
  logEnd: number | null;
  /** Feature-log records not learnt yet (`logEnd − model version`, at least 0); `null` with it. */
  logUnread: number | null;
  /**
   * Per input partition (those whose end offsets were polled, by partition): its lag. Empty
   * until a poll succeeded.
   */
  sources: readonly SourceLag[];
  /** The sum of the sources' `behind` (`NaN` until the input was polled). */
  behind: number;
}

/**
 * The lag of a learner at `modelVersion` whose model covers input partition `p` up to
 * `next(p)`, given the input's end offsets by partition and the feature log's end offset (each
 * `null` when not known yet). The result is frozen.
 */
export function featureLogLag(
  next: (partition: number) => number,
  inputEnds: ReadonlyMap<number, number> | null,
  logEnd: number | null,
  modelVersion: number,
): FeatureLogLag {
  const sources = inputEnds === null ? [] : [...inputEnds]
    .sort((a, b) => a[0] - b[0])
    .map(([partition, endOffset]) => {
      const nextOffset = next(partition);
      return Object.freeze({
        partition,
        endOffset,
        nextOffset,
        behind: Math.max(0, endOffset - nextOffset),
      });
    });
  return Object.freeze({
    logEnd,
    logUnread: logEnd === null ? null : Math.max(0, logEnd - modelVersion),
    sources: Object.freeze(sources),
    behind: inputEnds === null ? NaN : sources.reduce((sum, s) => sum + s.behind, 0),
  });
}
