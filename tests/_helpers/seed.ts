/**
 * The seed of a test that takes random moments (where to kill a process, how long to wait):
 * `CLICKSTREAM_TEST_SEED` when it is set, to replay a failing run, else a fresh random one. The
 * seed is printed either way, with the line that replays it, so a failure seen once can be
 * repeated. One variable for every such test.
 *
 * ```ts
 * const seed = testSeed("exactly-once kills");
 * const random = new Random(seed); // src/util/random.ts
 * ```
 *
 * @module
 */

/** The environment variable that fixes the seed of every test that takes random moments. */
export const TEST_SEED_VARIABLE = "CLICKSTREAM_TEST_SEED";

/** Options of {@linkcode testSeed}; injected by its own test. */
export interface TestSeedOptions {
  /** The value of the variable. Default: `Deno.env.get("CLICKSTREAM_TEST_SEED")`. */
  value?: string | undefined;
  /** Where the seed line goes. Default: `console.error`. */
  log?: (line: string) => void;
}

/**
 * The seed for the test named `label`: the variable's value (an integer 0 … 2³² − 1) or, when it
 * is unset or empty, a fresh random one. Prints `<label>: seed <n> (replay:
 * CLICKSTREAM_TEST_SEED=<n>)`.
 *
 * @throws {RangeError} when the variable is set to something that is not such an integer
 */
export function testSeed(label: string, options: TestSeedOptions = {}): number {
  const value = "value" in options ? options.value : Deno.env.get(TEST_SEED_VARIABLE);
  let seed: number;
  if (value === undefined || value.trim() === "") {
    seed = crypto.getRandomValues(new Uint32Array(1))[0];
  } else {
    seed = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(seed) || seed > 0xffff_ffff) {
      throw new RangeError(
        `${TEST_SEED_VARIABLE}="${value}" is not a seed: expected an integer from 0 to ${0xffff_ffff}.`,
      );
    }
  }
  (options.log ?? console.error)(`${label}: seed ${seed} (replay: ${TEST_SEED_VARIABLE}=${seed})`);
  return seed;
}
