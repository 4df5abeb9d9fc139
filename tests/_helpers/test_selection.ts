/**
 * Which tests a `deno task test` command line selects: its arguments split into paths and
 * deno test flags, and the cluster test files (`*_cluster_test.ts`) among the paths told apart
 * from the other test files, so that `tests/run.ts` runs each kind only when there is some.
 *
 * @module
 */

/** The file names of cluster tests: they run one at a time on a 3-broker cluster. */
export const CLUSTER_TEST_FILE: RegExp = /_cluster_test\.ts$/;

/** The file names deno test picks up in a folder: `{*_,*.,}test.{ts,tsx,mts,js,mjs,jsx}`. */
export const TEST_FILE: RegExp = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** deno test flags whose value may come as the next argument (`--filter name`). */
const VALUE_FLAGS = new Set([
  "--filter",
  "--reporter",
  "--junit-path",
  "--seed",
  "--config",
  "-c",
  "--import-map",
  "--location",
  "--cert",
  "--lock",
]);

/** deno test arguments told apart by {@linkcode splitTestArgs}. */
export interface TestArgs {
  /** The arguments that are paths, in order. */
  paths: string[];
  /** All the others (flags and their values), in order. */
  flags: string[];
  /** The arguments without the paths of cluster test files, in order. */
  withoutClusterFiles: string[];
}

/**
 * Splits deno test arguments into `paths` (arguments that are not flags, nor a flag's value,
 * and exist, by `exists`) and `flags` (all the rest, in order).
 */
export function splitTestArgs(
  args: readonly string[],
  exists: (path: string) => boolean,
): TestArgs {
  const split: TestArgs = { paths: [], flags: [], withoutClusterFiles: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUE_FLAGS.has(arg) && i + 1 < args.length) {
      split.flags.push(arg, args[++i]);
      split.withoutClusterFiles.push(arg, args[i]);
    } else if (!arg.startsWith("-") && exists(arg)) {
      split.paths.push(arg);
      if (!CLUSTER_TEST_FILE.test(arg)) split.withoutClusterFiles.push(arg);
    } else {
      split.flags.push(arg);
      split.withoutClusterFiles.push(arg);
    }
  }
  return split;
}

/** What {@linkcode selectTests} found. */
export interface TestSelection {
  /** The cluster test files, sorted, as paths relative to the current directory. */
  cluster: string[];
  /** Whether there is any other test file. */
  other: boolean;
}

function normalize(path: string): string {
  return path.replace(/^\.\//, "").replace(/\/+$/, "") || ".";
}

/**
 * Walks `paths` (files or folders, relative to the current directory) for test files, leaving
 * out `excludes` (deno.json's `exclude` entries, e.g. `state/`), hidden folders and
 * `node_modules`. A file named explicitly counts whatever its name, as deno test takes it.
 */
export async function selectTests(
  paths: readonly string[],
  excludes: readonly string[] = [],
): Promise<TestSelection> {
  const excluded = new Set(excludes.map(normalize));
  const cluster = new Set<string>();
  let other = false;
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = dir === "." ? entry.name : `${dir}/${entry.name}`;
      if (excluded.has(path)) continue;
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") await walk(path);
      } else if (entry.isFile && TEST_FILE.test(entry.name)) {
        if (CLUSTER_TEST_FILE.test(entry.name)) cluster.add(path);
        else other = true;
      }
    }
  };
  for (const given of paths) {
    const path = normalize(given);
    if ((await Deno.stat(path)).isDirectory) await walk(path);
    else if (CLUSTER_TEST_FILE.test(path)) cluster.add(path);
    else other = true;
  }
  return { cluster: [...cluster].sort(), other };
}
