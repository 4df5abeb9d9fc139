/**
 * The kafkajs version the program is built for, and the check the kafkajs gate
 * (`src/kafka/kafkajs.ts`) runs before it patches anything. The gate's patches replace kafkajs
 * internals (its encoder, decoder, `Long`, the producer's grouping, a private symbol of `Kafka`)
 * that were read and tested for exactly this version; another version may have moved or changed
 * them, so it is refused with a message naming both versions rather than patched blindly.
 *
 * @module
 */

/**
 * The kafkajs version this program is written, patched and tested for. `deno.json`'s import map
 * pins the same version; `tests/kafka/kafkajs_gate_test.ts` checks that the two agree.
 */
export const KAFKAJS_VERSION = "2.2.4";

/** Raised when the installed kafkajs is not {@linkcode KAFKAJS_VERSION}. */
export class KafkaJsVersionError extends Error {
  /** The version found in the installed kafkajs' `package.json` (as found, stringified). */
  readonly installed: string;
  /** The version the program needs. */
  readonly expected: string;
  /** Creates the error. */
  constructor(installed: string, expected: string) {
    super(
      `kafkajs ${installed} is installed, but this program needs kafkajs ${expected}: ` +
        `src/kafka/kafkajs.ts patches kafkajs internals that were checked against ${expected} only. ` +
        `Pin kafkajs ${expected} in deno.json's import map (and deno.lock), ` +
        `or port and re-test the patches of src/kafka/ before changing KAFKAJS_VERSION.`,
    );
    this.name = "KafkaJsVersionError";
    this.installed = installed;
    this.expected = expected;
  }
}

/**
 * Throws {@linkcode KafkaJsVersionError} unless `installed` (the `version` field of kafkajs'
 * `package.json`) is `expected`.
 *
 * @param installed The installed kafkajs' version.
 * @param expected The version the program needs; {@linkcode KAFKAJS_VERSION} when not given.
 */
export function checkKafkaJsVersion(installed: unknown, expected: string = KAFKAJS_VERSION): void {
  if (installed === expected) return;
  throw new KafkaJsVersionError(
    typeof installed === "string" ? installed : `of unknown version (${String(installed)})`,
    expected,
  );
}
