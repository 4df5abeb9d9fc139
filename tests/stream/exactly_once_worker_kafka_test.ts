/**
 * The exactly-once suite (`_exactly_once.ts`) with `train --featurize-worker on`: the featurize
 * stage in a Web Worker a batch ahead of the learn stage. Checkpoints every 150 ms rather than
 * after every batch (except the crash-point steps, which need their third checkpoint), so that
 * the pipeline both overlaps and runs dry before a checkpoint; the
 * crashes, kills, torn checkpoints and redeliveries still end with the reference weights, bit for
 * bit — and the reference is an uninterrupted run of the one-thread trainer.
 */
import { exactlyOnceSuite } from "./_exactly_once.ts";

globalThis.addEventListener("unload", () => {});
await exactlyOnceSuite(
  ["--featurize-worker", "on", "--checkpoint-interval", "150ms"],
  " (worker)",
  ["--featurize-worker", "off"],
);
