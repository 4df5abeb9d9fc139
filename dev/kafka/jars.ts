/**
 * The Apache Kafka jars, resolved from Maven Central by the committed `dev/kafka/pom.xml` into a
 * git-ignored cache (`.cache/kafka/lib`). Resolution runs `mvn` once; a marker file holding the
 * pom's SHA-256 says the cache is complete, so later calls return at once. Used by the broker
 * launcher (`broker.ts`) and by Kafka's own tools (`tools.ts`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root, derived from this file's place (`dev/kafka/jars.ts`). */
export const REPO_ROOT: string = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);

/** The committed pom that pins the Kafka version. */
export const DEFAULT_POM: string = `${REPO_ROOT}/dev/kafka/pom.xml`;

/** Where the jars are copied to (git-ignored). */
export const DEFAULT_LIB_DIR: string = `${REPO_ROOT}/.cache/kafka/lib`;

const MARKER = ".complete";

/** Options of {@linkcode ensureJars}. */
export interface EnsureJarsOptions {
  /** The pom to resolve. Default: {@linkcode DEFAULT_POM}. */
  pom?: string;
  /** The directory the jars go into. Default: {@linkcode DEFAULT_LIB_DIR}. */
  libDir?: string;
  /** The Maven executable. Default: `"mvn"`. */
  mvn?: string;
  /** Called with one line when a resolution starts (it takes a while the first time). Default: none. */
  onProgress?: (message: string) => void;
  /** Aborts a running resolution. Default: none. */
  signal?: AbortSignal;
}

/** Raised when Maven cannot resolve the Kafka jars. */
export class KafkaJarsError extends Error {
  /** Maven's output, for the reader of the error. */
  readonly output: string;
  /** Creates the error with Maven's output. */
  constructor(message: string, output: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KafkaJarsError";
    this.output = output;
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Makes sure the Kafka jars of the pom are in the lib directory, resolving them with Maven when
 * the directory is missing or was resolved from a different pom, and returns the directory.
 * Safe to call from several processes at once: each resolves into its own temporary directory
 * and the first complete one is moved into place.
 */
export async function ensureJars(options: EnsureJarsOptions = {}): Promise<string> {
  const pom = options.pom ?? DEFAULT_POM;
  const libDir = options.libDir ?? DEFAULT_LIB_DIR;
  const hash = await sha256Hex(await Deno.readFile(pom));
  if ((await readText(`${libDir}/${MARKER}`))?.trim() === hash) return libDir;

  options.onProgress?.(`resolving the Kafka jars from ${pom} into ${libDir} (once) ...`);
  const parent = libDir.replace(/\/[^/]+$/, "");
  await Deno.mkdir(parent, { recursive: true });
  const staging = `${libDir}.tmp-${crypto.randomUUID()}`;
  try {
    const output = await new Deno.Command(options.mvn ?? "mvn", {
      args: [
        "-q",
        "-B",
        "-f",
        pom,
        "dependency:copy-dependencies",
        `-DoutputDirectory=${staging}`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: options.signal,
    }).output().catch((error) => {
      throw new KafkaJarsError(
        `Could not run Maven ("${options.mvn ?? "mvn"}") to resolve the Kafka jars: ${error}`,
        "",
        { cause: error },
      );
    });
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    if (!output.success) {
      throw new KafkaJarsError(
        `Maven could not resolve the Kafka jars of ${pom} (exit ${output.code}):\n${
          text.slice(-4000)
        }`,
        text,
      );
    }
    await Deno.writeTextFile(`${staging}/${MARKER}`, `${hash}\n`);
    if ((await readText(`${libDir}/${MARKER}`))?.trim() === hash) return libDir; // someone won
    await Deno.remove(libDir, { recursive: true }).catch(() => {});
    try {
      await Deno.rename(staging, libDir);
    } catch (error) {
      if ((await readText(`${libDir}/${MARKER}`))?.trim() !== hash) throw error;
    }
    return libDir;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** The Java class path of a lib directory: every jar in it, as a `dir/*` wildcard. */
export function classPath(libDir: string = DEFAULT_LIB_DIR): string {
  return `${libDir}/*`;
}
