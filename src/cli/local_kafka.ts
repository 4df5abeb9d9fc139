/**
 * How `demo` gets a local Kafka broker without depending on development tooling: a small
 * {@linkcode LocalKafka} interface, and {@linkcode loadLocalKafka}, which finds the checkout's
 * broker launcher (`dev/kafka/broker.ts`) at run time. The launcher is looked up by a computed
 * URL, not imported, so it is no part of the program's module graph: `deno compile` leaves it
 * out, and a compiled binary's demo says to pass `--brokers` instead (the launcher needs the
 * checkout's Maven pom anyway).
 *
 * @example
 * ```ts ignore
 * const kafka = await loadLocalKafka();
 * await using broker = await kafka.start({ port: 9092, onProgress: console.log });
 * console.log(broker.brokers);
 * ```
 *
 * @module
 */

/** A running local broker. */
export interface LocalKafkaBroker extends AsyncDisposable {
  /** Its bootstrap address, `host:port`. */
  readonly brokers: string;
  /** Its log file. */
  readonly logFile: string;
}

/** What `demo` needs of a local broker launcher. */
export interface LocalKafka {
  /**
   * Starts one broker on `port` (its controller on a free port).
   * @throws {LocalKafkaPortInUseError} when `port` is taken
   */
  start(options: {
    port: number;
    onProgress?: (line: string) => void;
    signal?: AbortSignal;
  }): Promise<LocalKafkaBroker>;
}

/** The local broker's port is taken. */
export class LocalKafkaPortInUseError extends Error {
  /** The port. */
  readonly port: number;
  /** Creates the error. */
  constructor(port: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalKafkaPortInUseError";
    this.port = port;
  }
}

/** No local broker launcher here (a compiled binary ships without development tooling). */
export class LocalKafkaUnavailableError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalKafkaUnavailableError";
  }
}

/** The part of `dev/kafka/broker.ts` this module uses. */
interface LauncherModule {
  startBroker(options: {
    port?: number;
    controllerPort?: number;
    onProgress?: (line: string) => void;
    signal?: AbortSignal;
  }): Promise<LocalKafkaBroker>;
  BrokerStartError: new (...args: never[]) => Error;
}

/**
 * The checkout's broker launcher behind {@linkcode LocalKafka}.
 * @param url where the launcher is. Default: `dev/kafka/broker.ts` of this checkout.
 * @throws {LocalKafkaUnavailableError} when there is none (a compiled binary)
 */
export async function loadLocalKafka(
  url: string = new URL("../../dev/kafka/broker.ts", import.meta.url).href,
): Promise<LocalKafka> {
  let launcher: LauncherModule;
  try {
    launcher = await import(url);
  } catch (cause) {
    throw new LocalKafkaUnavailableError(
      `Cannot start a local Kafka: there is no broker launcher at ${url} (the compiled program ships without development tooling). Run the demo from a checkout, or give a running broker with --brokers.`,
      { cause },
    );
  }
  return {
    async start({ port, onProgress, signal }) {
      try {
        return await launcher.startBroker({ port, controllerPort: 0, onProgress, signal });
      } catch (error) {
        if (
          error instanceof launcher.BrokerStartError && /port .* is in use/.test(error.message)
        ) {
          throw new LocalKafkaPortInUseError(port, error.message, { cause: error });
        }
        throw error;
      }
    },
  };
}
