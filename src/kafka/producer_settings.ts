/**
 * The producer's choices as plain data — acks and compression — so that the command-line
 * configuration can list and check them without loading the Kafka client (this module imports
 * nothing). `producer.ts` maps them to kafkajs' codes.
 *
 * @example
 * ```ts
 * import { ACKS } from "./producer_settings.ts";
 * import assert from "node:assert/strict";
 * assert.ok(ACKS.includes("all"));
 * ```
 *
 * @module
 */

/** Which replicas must have a record before a send counts as done. */
export type Acks = "all" | "leader" | "none";
/** Record batch compression. */
export type Compression = "none" | "gzip";

/** Every {@linkcode Acks} value, for flag validation and help (in the help's order). */
export const ACKS: readonly Acks[] = ["leader", "all", "none"];
/** Every {@linkcode Compression} value, for flag validation and help. */
export const COMPRESSIONS: readonly Compression[] = ["none", "gzip"];
