/**
 * Kafka's own command-line tools (the producer perf test, the console producer and consumer,
 * topic and group admin) run from the same jars as the local broker, so benchmarks and tests can
 * race the program against them and cross-check what it wrote.
 *
 * ```ts
 * const perf = await kafkaTool(KAFKA_TOOLS.producerPerformance, [
 *   "--topic", "t", "--num-records", "100000", "--record-size", "120", "--throughput", "-1",
 *   "--producer-props", `bootstrap.servers=${brokers}`,
 * ]);
 * ```
 *
 * @module
 */

import { classPath, ensureJars } from "./jars.ts";

/** Main classes of Kafka 4.1.2's tools (checked against the kafka-tools and kafka_2.13 jars). */
export const KAFKA_TOOLS = {
  /** `kafka-producer-perf-test.sh` */
  producerPerformance: "org.apache.kafka.tools.ProducerPerformance",
  /** `kafka-consumer-perf-test.sh` */
  consumerPerformance: "org.apache.kafka.tools.ConsumerPerformance",
  /** `kafka-console-producer.sh` */
  consoleProducer: "org.apache.kafka.tools.ConsoleProducer",
  /** `kafka-console-consumer.sh` */
  consoleConsumer: "org.apache.kafka.tools.consumer.ConsoleConsumer",
  /** `kafka-topics.sh` */
  topics: "org.apache.kafka.tools.TopicCommand",
  /** `kafka-consumer-groups.sh` */
  consumerGroups: "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
  /** `kafka-get-offsets.sh` */
  getOffsets: "org.apache.kafka.tools.GetOffsetShell",
  /** `kafka-storage.sh` */
  storage: "kafka.tools.StorageTool",
} as const;

/** Options of {@linkcode kafkaTool}. */
export interface KafkaToolOptions {
  /** Bytes written to the tool's standard input (then closed). Default: none (stdin is empty). */
  stdin?: Uint8Array | string;
  /** JVM maximum heap. Default: `"512m"`. */
  heap?: string;
  /** Extra JVM arguments. Default: none. */
  jvmArgs?: string[];
  /** The Java executable. Default: `"java"`. */
  java?: string;
  /** The jar directory. Default: `.cache/kafka/lib` (resolved with Maven when incomplete). */
  libDir?: string;
  /** Kill the tool after this many ms (the result then has `timedOut: true`). Default: `120_000`. */
  timeoutMs?: number;
  /** Aborting kills the tool. Default: none. */
  signal?: AbortSignal;
}

/** What a tool run produced. */
export interface KafkaToolResult {
  /** The process exit code. */
  code: number;
  /** Whether the exit code was 0. */
  success: boolean;
  /** Whether it was killed by `timeoutMs`. */
  timedOut: boolean;
  /** Standard output, UTF-8. */
  stdout: string;
  /** Standard error, UTF-8 (the tools log here). */
  stderr: string;
  /** Wall time in milliseconds, JVM start included. */
  elapsedMs: number;
}

/**
 * Runs one of Kafka's tools (`mainClass`, e.g. {@linkcode KAFKA_TOOLS}`.producerPerformance`) with
 * `args` on the local jars and returns its output and exit code; it does not throw on a non-zero
 * exit.
 */
export async function kafkaTool(
  mainClass: string,
  args: readonly string[],
  options: KafkaToolOptions = {},
): Promise<KafkaToolResult> {
  const libDir = await ensureJars({ libDir: options.libDir, signal: options.signal });
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs ?? 120_000);
  const signal = options.signal
    ? AbortSignal.any([options.signal, timeout.signal])
    : timeout.signal;
  const t0 = performance.now();
  try {
    const child = new Deno.Command(options.java ?? "java", {
      args: [
        `-Xmx${options.heap ?? "512m"}`,
        "-XX:+UseG1GC",
        "-Xshare:auto",
        "-Djava.awt.headless=true",
        "-Dlog4j2.level=WARN",
        ...(options.jvmArgs ?? []),
        "-cp",
        classPath(libDir),
        mainClass,
        ...args,
      ],
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
    if (options.stdin !== undefined) {
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      const writer = child.stdin.getWriter();
      await writer.write(bytes).catch(() => {});
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    return {
      code: out.code,
      success: out.success,
      timedOut: timeout.signal.aborted,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
      elapsedMs: performance.now() - t0,
    };
  } finally {
    clearTimeout(timer);
  }
}
