/**
 * The wiring of `featurize`'s `/healthz` and `/metrics` (`src/http/featurize_metrics.ts`): the
 * server on `--http`, the immutable {@linkcode FeaturizerView} it reads, replaced by
 * {@linkcode FeaturizerStatus.publish} after every batch, and a timer that reads the input's end
 * offsets (for the lag) and the featurizer's health from whether that read succeeds.
 *
 * @module
 */

import {
  createFeaturizeHandler,
  type FeaturizerView,
  STARTING_VIEW,
} from "../http/featurize_metrics.ts";
import type { GroupFeaturizer } from "../stream/group_featurizer.ts";

/** How often the input's end offsets are read for the lag on `/metrics`, ms. */
const END_REFRESH_MS = 2000;

/** Options of {@linkcode serveFeaturizerStatus}. */
export interface FeaturizerStatusOptions {
  /** The address to listen on (`--http`). Required. */
  hostname: string;
  /** The port to listen on (`0`: any free one). Required. */
  port: number;
  /** The input topic, named in the reason when its end offsets cannot be read. Required. */
  topic: string;
  /** Reads the input topic's end offsets. Required. */
  endOffsets: () => Promise<readonly { partition: number; high: number }[]>;
  /** The featurizer whose held partitions are shown. Required. */
  featurizer: Pick<GroupFeaturizer, "partitions" | "next">;
  /** The featurizer's totals (live). Required. */
  totals: Readonly<{ emitted: number; suppressed: number; snapshots: number; restored: number }>;
  /** When a partition's newest snapshot was written, epoch ms (`undefined`: none yet). Required. */
  snapshotAt: (partition: number) => number | undefined;
}

/** A serving `/healthz` and `/metrics`. */
export interface FeaturizerStatus {
  /** Its base URL. */
  readonly url: string;
  /** Replaces the view with the featurizer's current state. */
  publish(): void;
  /** Stops the server, then the refresh timer (waiting out a refresh under way). */
  close(): Promise<void>;
}

/** Starts the server and the end-offset refresh (see the module documentation). */
export function serveFeaturizerStatus(options: FeaturizerStatusOptions): FeaturizerStatus {
  const { featurizer, totals } = options;
  const ends = new Map<number, number>();
  const health: { healthy: boolean; reason: string | null } = { healthy: true, reason: null };
  let view: FeaturizerView = STARTING_VIEW;
  const publish = () => {
    view = Object.freeze({
      ...health,
      partitions: featurizer.partitions.map((partition) => ({
        partition,
        next: featurizer.next(partition),
        end: ends.get(partition) ?? NaN,
        snapshotAt: options.snapshotAt(partition) ?? NaN,
      })),
      emitted: totals.emitted,
      suppressed: totals.suppressed,
      snapshots: totals.snapshots,
      restored: totals.restored,
    });
  };
  const refreshEnds = async () => {
    try {
      for (const o of await options.endOffsets()) ends.set(o.partition, o.high);
      health.healthy = true;
      health.reason = null;
    } catch (error) {
      health.healthy = false;
      health.reason = `cannot read the end offsets of ${options.topic}: ${
        (error as Error).message
      }`;
    }
    publish();
  };
  let refreshing: Promise<void> | undefined;
  const refresher = setInterval(() => {
    refreshing ??= refreshEnds().finally(() => refreshing = undefined);
  }, END_REFRESH_MS);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: options.hostname, port: options.port, onListen: () => {} },
      createFeaturizeHandler({ view: () => view }),
    );
  } catch (error) {
    clearInterval(refresher);
    throw error;
  }
  return {
    url: `http://${options.hostname}:${server.addr.port}`,
    publish,
    async close() {
      await server.shutdown().catch(() => {});
      clearInterval(refresher);
      await refreshing;
    },
  };
}
