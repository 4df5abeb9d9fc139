/**
 * The `/metrics` of the featurizers' lag as it reaches a learner (`learn`; the snapshot's
 * `featureLog`, see `src/stream/feature_log_lag.ts`): the feature log's end offset and its
 * records not learnt yet, and per input partition its end offset and the records of it not in the
 * model yet. Where the snapshot has none (`train`), the unlabelled ones are `NaN` and the
 * per-partition ones have no series.
 *
 * @module
 */

import { Gauge, type Registry } from "prom-client";
import type { Snapshot } from "../stream/snapshot.ts";
import { partitionGauge } from "./partition_gauge.ts";

const PREFIX = "clickstream_";

/** Registers the metrics on `registers`, each read from `current()` at scrape time. */
export function registerFeatureLogMetrics(
  registers: Registry[],
  current: () => Snapshot,
): void {
  const single = (name: string, help: string, read: (s: Snapshot) => number | null | undefined) =>
    new Gauge({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.set(read(current()) ?? NaN);
      },
    });
  single(
    "feature_log_end_offset",
    "The feature log's end offset at the last poll (learn; NaN when unknown or not learn).",
    (s) => s.featureLog?.logEnd,
  );
  single(
    "feature_log_unread_records",
    "Feature-log records not learnt yet: its end offset minus the model version (learn).",
    (s) => s.featureLog?.logUnread,
  );
  const perSource = (name: string, help: string, read: (s: SourceLagLike) => number) =>
    partitionGauge(registers, PREFIX + name, help, () => current().featureLog?.sources ?? [], read);
  perSource(
    "source_end_offset",
    "End offset of each input partition at the last poll (learn).",
    (s) => s.endOffset,
  );
  perSource(
    "source_behind_records",
    "Records of each input partition not in the model yet: its end offset minus the next offset learnt; once the feature log is read to its end, the featurizers' lag (learn).",
    (s) => s.behind,
  );
}

type SourceLagLike = NonNullable<Snapshot["featureLog"]>["sources"][number];
