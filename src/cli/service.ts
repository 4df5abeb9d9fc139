/**
 * What the long-running commands (`train`, `featurize`, `learn`) share around their work: a stop
 * on SIGINT/SIGTERM with a watchdog that gives up a clean stop after `--shutdown-timeout`, the
 * state directory's lock with its report lines, a list of cleanup steps run in reverse, the
 * consumer-group membership and a consumer that reconnects, and the HTTP server over the
 * published snapshots.
 *
 * @module
 */

import type { ListenConfig } from "../config/values.ts";
import { createHandler } from "../http/handler.ts";
import type { KafkaAdmin } from "../kafka/admin.ts";
import type { KafkaClient } from "../kafka/client.ts";
import { EventConsumer } from "../kafka/consumer.ts";
import { evictGroupMember } from "../kafka/evict_member.ts";
import { ReconnectingConsumer, type RecordSource } from "../kafka/reconnecting_consumer.ts";
import type { AdminCommand, AdminResult } from "../stream/admin_queue.ts";
import type { CheckpointStore, LoadedCheckpoint } from "../stream/checkpoint.ts";
import { type BrokerView, BrokerWatch } from "../stream/broker_watch.ts";
import { readGroupMember, writeGroupMember } from "../stream/group_member.ts";
import { GroupMembership } from "../stream/group_membership.ts";
import type { LearnState } from "../stream/learn_stage.ts";
import type { ResumeHooks } from "../stream/resume_hook.ts";
import type { Snapshot } from "../stream/snapshot.ts";
import { acquireStateLock, type StateLock } from "../stream/state_lock.ts";
import { shutdownSignal } from "./kafka_client.ts";

/** A running service: resolves when it stopped cleanly and closed everything. */
export interface Running {
  /** Resolves when the service has stopped and everything is closed. */
  readonly done: Promise<void>;
}

/** Options of {@linkcode runService}. */
export interface RunServiceOptions {
  /** What the process is called in the watchdog's line, e.g. `"trainer"`. Required. */
  name: string;
  /** How long a clean stop may take after the signal, ms. Required. */
  shutdownTimeoutMs: number;
  /** What the process loses when the watchdog gives up, e.g. `"without a final checkpoint"`. */
  loses?: string;
  /** Stops the service when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/**
 * Starts a service with `start` (given the stop signal), waits until it is done, and resolves to
 * exit code 0; once the stop signal fires, a watchdog exits the process with code 1 after
 * `shutdownTimeoutMs`.
 */
export async function runService<R extends Running>(
  options: RunServiceOptions,
  start: (signal: AbortSignal) => Promise<R>,
  stopped?: (running: R) => void,
): Promise<number> {
  const shutdown = shutdownSignal();
  const signal = options.signal ?? shutdown.signal;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    watchdog = setTimeout(() => {
      console.error(
        `error: the ${options.name} did not stop within ${options.shutdownTimeoutMs} ms; exiting${
          options.loses ? ` ${options.loses}` : ""
        }`,
      );
      Deno.exit(1);
    }, options.shutdownTimeoutMs);
  };
  signal.addEventListener("abort", onStop, { once: true });
  try {
    const running = await start(signal);
    await running.done;
    stopped?.(running);
    return 0;
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener("abort", onStop);
    shutdown.dispose();
  }
}

/** A stop signal that follows `outer` (if any). */
export function stopController(outer?: AbortSignal): AbortController {
  const stop = new AbortController();
  if (outer?.aborted) stop.abort();
  outer?.addEventListener("abort", () => stop.abort(), { once: true });
  return stop;
}

/** Cleanup steps, run in reverse order of registration, each failure ignored. */
export class Cleanup {
  #steps: (() => Promise<unknown>)[] = [];

  /** Registers a step. */
  push(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  /** Runs every step, newest first. */
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await step().catch(() => {});
    this.#steps = [];
  }
}

/** Takes the state directory's lock, reporting a wait or a takeover. */
export async function takeStateLock(
  dir: string,
  waitMs: number,
  log: (line: string) => void,
): Promise<StateLock> {
  const lock = await acquireStateLock(dir, { waitMs });
  if (lock.waited) {
    log(
      `waited ${
        (lock.waited.ms / 1000).toFixed(2)
      } s for the lock of process ${lock.waited.owner.pid} (${lock.waited.detail})`,
    );
  }
  if (lock.tookOver) {
    log(
      `took over the stale lock of process ${lock.tookOver.pid} in ${dir} (${lock.staleBecause})`,
    );
  }
  return lock;
}

/** Options of {@linkcode groupMembership}. */
export interface GroupMembershipSetup {
  /** What the process is called in the report lines, e.g. `"trainer"`. */
  name: string;
  /** The Kafka client the membership's consumer and admin come from. */
  client: KafkaClient;
  /** The consumer group joined. */
  group: string;
  /** Where the member id is recorded (and a dead predecessor's read), if anywhere. */
  stateDir?: string;
  /** The lock taken: when it was taken over, the dead owner's member is removed first. */
  lock?: StateLock;
  /** Where the report lines go. */
  log: (line: string) => void;
  /** Leaves the group when aborted. */
  signal: AbortSignal;
}

/**
 * This process's group membership: eviction through `evict_member.ts`, the member id recorded in
 * the state directory (when there is one), and the dead predecessor's member removed at once when
 * its stale lock was taken over (docs/design.md "The lock, and a restart right after a kill").
 */
export async function groupMembership(setup: GroupMembershipSetup): Promise<GroupMembership> {
  const { client, group, stateDir, log } = setup;
  const membership = new GroupMembership({
    group,
    evict: (memberId) => evictGroupMember(client, group, memberId, 5000),
    record: stateDir === undefined
      ? undefined
      : (memberId) => writeGroupMember(stateDir, { group, memberId }),
    log,
    signal: setup.signal,
  });
  if (stateDir !== undefined && setup.lock?.tookOver) {
    const dead = await readGroupMember(stateDir);
    if (dead !== null && dead.group === group) {
      await membership.remove(dead.memberId, `the dead ${setup.name}'s`);
    }
  }
  return membership;
}

/** The consumer, reconnected with backoff when kafkajs gives it up, with its report lines. */
export function reconnecting<C extends RecordSource>(
  connect: () => Promise<C>,
  log: (line: string) => void,
): Promise<ReconnectingConsumer<C>> {
  return ReconnectingConsumer.connect(connect, {
    onReconnecting: (error, attempt, delayMs) =>
      log(
        `warning: the Kafka consumer stopped (attempt ${attempt}: ${error.message}); reconnecting in ${delayMs} ms`,
      ),
    onReconnected: (attempts, downMs) =>
      log(`the Kafka consumer is back after ${attempts} attempt(s), ${downMs} ms`),
  });
}

/** The snapshot with the broker watch's current health, when it differs from the published one. */
function withLiveHealth(snapshot: Snapshot, view: BrokerView): Snapshot {
  if (snapshot.healthy === view.healthy && snapshot.healthReason === view.reason) return snapshot;
  return Object.freeze({ ...snapshot, healthy: view.healthy, healthReason: view.reason });
}

/** Options of {@linkcode serveSnapshots}. */
export interface ServeSnapshotsOptions {
  /** Where to listen (`--http`). */
  http: ListenConfig;
  /** The published snapshot now. */
  snapshot: () => Snapshot;
  /** The broker watch, whose health wins over the snapshot's. */
  watch: BrokerWatch;
  /** The admin routes' bearer token (`POST /checkpoint`, `/reset`); `null`: no such routes. */
  adminToken: string | null;
  /** Carries out an admin command between batches. */
  admin: (command: AdminCommand) => Promise<AdminResult>;
  /** Shuts the server down when aborted. */
  signal: AbortSignal;
}

/** Serves the HTTP handler over the snapshots; resolves the server and its base URL. */
export function serveSnapshots(
  options: ServeSnapshotsOptions,
): { server: Deno.HttpServer; url: string } {
  const server = Deno.serve(
    { hostname: options.http.hostname, port: options.http.port, onListen: () => {} },
    createHandler({
      // Health is live: a batch stuck on an unreachable broker publishes no new snapshot, yet
      // /healthz must say 503 now — the broker watch's view wins.
      snapshot: () => withLiveHealth(options.snapshot(), options.watch.view()),
      adminToken: options.adminToken,
      signal: options.signal,
      admin: options.adminToken === null ? undefined : options.admin,
    }),
  );
  return { server, url: `http://${options.http.hostname}:${server.addr.port}` };
}

/**
 * The newest valid checkpoint of `store` (reporting corrupt ones it passes and the one it resumes
 * from), or `null`.
 *
 * @throws {TypeError} when it holds a model of another mode than `mode`
 */
export async function loadCheckpoint<S extends LearnState>(
  store: CheckpointStore<S>,
  mode: string,
  log: (line: string) => void,
  where: (state: S) => string = (state) =>
    `next offsets ${state.offsets.map((o) => `${o.partition}:${o.offset}`).join(" ") || "none"}`,
): Promise<LoadedCheckpoint<S> | null> {
  const loaded = await store.loadLatest();
  if (loaded === null) return null;
  const s = loaded.state;
  log(
    `resuming from ${loaded.file}: batch ${s.batchId}, ${s.eventsTrained} events trained, ${
      where(s)
    }`,
  );
  const saved = s.learner.model.mode;
  if (saved !== mode) {
    throw new TypeError(
      `Cannot resume: the state in ${store.dir} holds a model in mode "${saved}", not "${mode}". Use --mode ${saved} or another --state-dir.`,
    );
  }
  return loaded;
}

/**
 * A started watch of `topic`'s end offsets (the lag, and the health probe), stopped by `cleanup`.
 * A topic that does not exist yet has no end offsets, and is no failure.
 */
export async function watchEndOffsets(
  admin: KafkaAdmin,
  topic: string,
  brokers: readonly string[],
  cleanup: Cleanup,
): Promise<BrokerWatch> {
  const watch = new BrokerWatch(
    async () => {
      const offsets = (await admin.partitionCount(topic)) === undefined
        ? []
        : await admin.topicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, o.high]));
    },
    { name: brokers.join(",") },
  );
  await watch.start();
  cleanup.push(() => Promise.resolve(watch.stop()));
  return watch;
}

/** How a command's consumer joins its group (see `EventConsumerOptions`). */
export interface GroupConsumerOptions {
  /** The topic consumed. */
  topic: string;
  /** The consumer group joined. */
  group: string;
  /** Where a partition without a committed offset starts. */
  startingOffsets: "earliest" | "latest";
  /** See `EventConsumerOptions.closeTimeoutMs`. Default: the consumer's. */
  closeTimeoutMs?: number;
  /** See `EventConsumerOptions.maxBytesPerPartition`. Default: the consumer's. */
  maxBytesPerPartition?: number;
  /** See `EventConsumerOptions.recycleResponses`. Default: the consumer's (off). */
  recycleResponses?: boolean;
}

/** The `connect` of a group member with manual commits, given the resume hooks. */
export function groupConsumer(
  client: KafkaClient,
  options: GroupConsumerOptions,
): (hooks: ResumeHooks) => Promise<EventConsumer> {
  return (hooks) =>
    EventConsumer.connect(client, {
      topic: options.topic,
      groupId: options.group,
      startingOffsets: options.startingOffsets,
      autoCommit: false,
      // Joining a group whose previous member died (a crash, a SIGKILL) waits until the
      // coordinator expires that member's session; on a loaded machine that takes a while.
      connectTimeoutMs: 90_000,
      ...(options.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: options.closeTimeoutMs }),
      ...(options.maxBytesPerPartition === undefined
        ? {}
        : { maxBytesPerPartition: options.maxBytesPerPartition }),
      recycleResponses: options.recycleResponses,
      ...hooks,
    });
}

/**
 * The work of a started service, to its end: `work()`, then `stop` aborted and every cleanup
 * step run, whatever happened.
 */
export async function untilDone(
  stop: AbortController,
  cleanup: Cleanup,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } finally {
    stop.abort();
    await cleanup.run();
  }
}
