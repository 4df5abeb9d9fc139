/**
 * Exactly-once model state, proven on the real broker with `train` run as a subprocess: for a
 * fixed input of N events on one partition, runs that crash at every step of a checkpoint, die
 * by SIGKILL at random moments, meet torn checkpoints, are redelivered old records, or stop by
 * SIGTERM all end with `events_trained` = N and weights bitwise identical to an uninterrupted
 * run (per-event mode: JSON prints doubles exactly, so equal JSON is equal bits). The random kill
 * moments come from a printed seed; `CLICKSTREAM_TEST_SEED=<seed>` replays them. The suite is in
 * `_exactly_once.ts` (`exactly_once_worker_kafka_test.ts` runs it with the featurize worker).
 */
import { exactlyOnceSuite } from "./_exactly_once.ts";

globalThis.addEventListener("unload", () => {});
await exactlyOnceSuite([]);
