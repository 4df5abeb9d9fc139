/**
 * A real local Apache Kafka broker (KRaft: broker and controller in one JVM) for `deno task
 * kafka`, the test suite and the demo. `startBroker()` resolves the jars once (`jars.ts`),
 * writes `server.properties` and a log4j2 configuration into a data directory, formats the
 * storage on first use, starts `java kafka.Kafka`, waits until the broker answers a Metadata
 * request, and returns a handle that stops it (SIGTERM, then SIGKILL after a timeout), starts it
 * again on the same ports and data, and disposes of it (`await using`). With `quorum` set it is
 * one node of a multi-node KRaft quorum; `cluster.ts` starts such a cluster out of several.
 *
 * ```ts
 * await using broker = await startBroker();
 * console.log(broker.brokers); // "127.0.0.1:40123"
 * ```
 *
 * @module
 */

import { classPath, ensureJars } from "./jars.ts";

/** Options of {@linkcode startBroker}. */
export interface BrokerOptions {
  /** Client (PLAINTEXT) port on 127.0.0.1. Default: `0`, a free port picked at start. */
  port?: number;
  /** Controller (KRaft) port on 127.0.0.1. Default: `0`, a free port picked at start. */
  controllerPort?: number;
  /**
   * Data directory: Kafka's log dirs, `server.properties`, `broker.log`. Created if missing;
   * formatted once (a later start with the same directory keeps the topics and offsets).
   * Default: a new temporary directory, removed when the handle is disposed.
   */
  dataDir?: string;
  /** Remove the data directory on dispose. Default: `true` for the default temporary directory, else `false`. */
  removeDataDir?: boolean;
  /** Extra or overriding `server.properties` entries. Default: none. */
  properties?: Record<string, string | number | boolean>;
  /**
   * Listeners besides PLAINTEXT (which stays: the start probe and inter-broker traffic use it),
   * e.g. `{ name: "SSL", protocol: "SSL" }` or `{ name: "SASL", protocol: "SASL_PLAINTEXT" }`;
   * their own settings (`ssl.*`, `listener.name.<name>.*`) go in `properties`. Each gets a free
   * port on 127.0.0.1 unless given one. Default: none.
   */
  extraListeners?: readonly ExtraListener[];
  /**
   * Extra arguments of `kafka-storage format` on first start, e.g.
   * `["--add-scram", "SCRAM-SHA-256=[name=alice,password=secret]"]`. Default: none.
   */
  formatArgs?: readonly string[];
  /** JVM maximum heap (`-Xmx`). Default: `"512m"`. */
  heap?: string;
  /** JVM initial heap (`-Xms`). Default: `"128m"`. */
  initialHeap?: string;
  /** Extra JVM arguments, after the defaults. Default: none. */
  jvmArgs?: string[];
  /** The Java executable. Default: `"java"`. */
  java?: string;
  /** The directory holding Kafka's jars; resolved with Maven when incomplete. Default: `.cache/kafka/lib`. */
  libDir?: string;
  /** How long to wait for the broker to answer a Metadata request. Default: `90_000` ms. */
  startTimeoutMs?: number;
  /** How long to wait after SIGTERM before SIGKILL. Default: `20_000` ms. */
  stopTimeoutMs?: number;
  /** Called with progress lines (jar resolution, formatting). Default: none. */
  onProgress?: (message: string) => void;
  /** Aborting stops the broker (or the start in progress). Default: none. */
  signal?: AbortSignal;
  /**
   * Membership of a KRaft quorum of several nodes (`startCluster()` in `cluster.ts` sets it):
   * this node's id, the cluster id and every voter. Default: none — a quorum of this one node
   * (node id 1, formatted `--standalone`).
   */
  quorum?: QuorumMember;
}

/** One node's place in a multi-node KRaft quorum (see {@linkcode BrokerOptions.quorum}). */
export interface QuorumMember {
  /** This node's `node.id`; one of `voters`. */
  nodeId: number;
  /** The cluster id every node is formatted with (a Kafka Uuid, see {@linkcode kafkaUuid}). */
  clusterId: string;
  /** Every voter of the quorum: node id, controller port on 127.0.0.1, metadata directory id. */
  voters: readonly QuorumVoter[];
}

/** One voter of a KRaft quorum. */
export interface QuorumVoter {
  /** Its `node.id`. */
  nodeId: number;
  /** Its controller port on 127.0.0.1. */
  controllerPort: number;
  /** The directory id of its metadata log directory (a Kafka Uuid). */
  directoryId: string;
}

/** One extra listener of the broker (see {@linkcode BrokerOptions.extraListeners}). */
export interface ExtraListener {
  /** Listener name, upper case, e.g. `"SSL"`, `"SASL"`. */
  name: string;
  /** Its security protocol. */
  protocol: "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";
  /** Port on 127.0.0.1. Default: a free port picked at start. */
  port?: number;
}

/** A running (or stopped) local broker. */
export interface BrokerHandle extends AsyncDisposable {
  /** Bootstrap address for clients, `127.0.0.1:<port>`. */
  readonly brokers: string;
  /** The client port. */
  readonly port: number;
  /** Bootstrap address of each extra listener by name, e.g. `{ SSL: "127.0.0.1:40124" }`. */
  readonly listeners: Readonly<Record<string, string>>;
  /** The controller port. */
  readonly controllerPort: number;
  /** The data directory. */
  readonly dataDir: string;
  /** The broker's log file (log4j2 output and the JVM's stdout/stderr). */
  readonly logFile: string;
  /** The JVM's process id while running, else `undefined`. */
  readonly pid: number | undefined;
  /** Whether the JVM is running. */
  readonly running: boolean;
  /** Stops the broker cleanly (SIGTERM, SIGKILL after `stopTimeoutMs`); keeps the data. */
  stop(): Promise<void>;
  /** Starts a stopped broker again on the same ports and data directory; waits until it answers. */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /**
   * Resolves with the JVM's exit code when the running broker exits (after `stop()`, or on its
   * own: a crash, a kill); at once when it is not running.
   */
  whenExited(): Promise<number>;
  /** Stops the broker and removes the data directory if `removeDataDir`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Raised when the broker does not start; the message names the log file. */
export class BrokerStartError extends Error {
  /** The broker's log file. */
  readonly logFile: string;
  /** Creates the error. */
  constructor(message: string, logFile: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerStartError";
    this.logFile = logFile;
  }
}

/** Default `server.properties` entries for a single-node test and demo broker. */
export const DEFAULT_BROKER_PROPERTIES: Readonly<Record<string, string | number | boolean>> = {
  "num.partitions": 1,
  "auto.create.topics.enable": false,
  "offsets.topic.replication.factor": 1,
  "offsets.topic.num.partitions": 10,
  "transaction.state.log.replication.factor": 1,
  "transaction.state.log.min.isr": 1,
  "share.coordinator.state.topic.replication.factor": 1,
  "share.coordinator.state.topic.min.isr": 1,
  "group.initial.rebalance.delay.ms": 0,
  "group.min.session.timeout.ms": 1000,
  "group.consumer.min.session.timeout.ms": 1000,
  "group.consumer.min.heartbeat.interval.ms": 500,
  "delete.topic.enable": true,
  "log.retention.hours": 168,
  "log.segment.bytes": 256 * 1024 * 1024,
  "num.network.threads": 3,
  "num.io.threads": 4,
  "message.max.bytes": 2 * 1024 * 1024,
};

/**
 * The shell that runs the JVM: appends its output to the log, writes its pid, forwards SIGTERM
 * (and SIGINT/SIGHUP, as SIGTERM) to it, and stops it when the owning process (a Deno pid) is
 * gone without having stopped it — so a crashed or killed test run leaves no broker behind.
 */
const SUPERVISOR = `
"$@" >>"$CLICKSTREAM_KAFKA_LOG" 2>&1 &
child=$!
echo "$child" > "$CLICKSTREAM_KAFKA_PIDFILE"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
(
  while kill -0 "$CLICKSTREAM_KAFKA_OWNER" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
    sleep 1
  done
  if kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null; sleep 20; kill -KILL "$child" 2>/dev/null
  fi
) </dev/null >/dev/null 2>&1 &
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
exit $status
`;

/**
 * Throws {@linkcode BrokerStartError} (naming `who`, the port's role and `logFile`) when one of
 * the `named` ports (`[role, port]`, e.g. `["client", 9092]`) cannot be bound on 127.0.0.1.
 */
export function refuseTakenPorts(
  who: string,
  named: readonly (readonly [string, number])[],
  logFile: string,
): void {
  for (const [name, port] of named) {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port });
    } catch (cause) {
      throw new BrokerStartError(
        `Cannot start ${who}: its ${name} port 127.0.0.1:${port} is in use (another Kafka, such as an earlier \`deno task kafka\` or the demo's?). Stop that one, or choose other ports.`,
        logFile,
        { cause },
      );
    }
    listener.close();
  }
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Finds `count` distinct free ports on 127.0.0.1, none of them in `taken`: all are bound at
 * once before any is released (two `freePort()` calls in a row may return the same port).
 */
export function freePorts(count: number, taken: readonly number[] = []): number[] {
  const held: Deno.Listener[] = [];
  try {
    const ports: number[] = [];
    for (let tries = 0; ports.length < count && tries < count + 50; tries++) {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      held.push(listener);
      const port = (listener.addr as Deno.NetAddr).port;
      if (!taken.includes(port) && !ports.includes(port)) ports.push(port);
    }
    if (ports.length < count) throw new Error(`Cannot find ${count} free ports on 127.0.0.1.`);
    return ports;
  } finally {
    for (const listener of held) listener.close();
  }
}

/**
 * A random Kafka Uuid (cluster and directory ids): 16 random bytes, URL-safe base64 without
 * padding, never starting with "-" (what `kafka-storage random-uuid` prints).
 */
export function kafkaUuid(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function tail(path: string, lines: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").slice(-lines - 1).join("\n").trimEnd();
  } catch {
    return "(no log)";
  }
}

function log4jConfig(): string {
  // Everything to stdout, which the launcher appends to the data directory's broker.log.
  return [
    "status = warn",
    "appender.out.type = Console",
    "appender.out.name = out",
    "appender.out.target = SYSTEM_OUT",
    "appender.out.layout.type = PatternLayout",
    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
    "rootLogger.level = INFO",
    "rootLogger.appenderRef.out.ref = out",
    "logger.state.name = state.change.logger",
    "logger.state.level = WARN",
    "logger.request.name = kafka.request.logger",
    "logger.request.level = WARN",
    "logger.authorizer.name = kafka.authorizer.logger",
    "logger.authorizer.level = WARN",
    "",
  ].join("\n");
}

/**
 * Sends one request (`apiKey`, `apiVersion`, header v1, then `body`) to 127.0.0.1-style
 * `hostname:port` and returns the response after its correlation id. Throws when the port does
 * not answer within `timeoutMs`.
 */
async function kafkaRequest(
  hostname: string,
  port: number,
  apiKey: number,
  apiVersion: number,
  body: Uint8Array,
  timeoutMs: number,
): Promise<DataView> {
  const clientId = new TextEncoder().encode("clickstream-probe");
  const request = new Uint8Array(4 + 2 + 2 + 4 + 2 + clientId.length + body.length);
  const view = new DataView(request.buffer);
  view.setInt32(0, request.length - 4);
  view.setInt16(4, apiKey);
  view.setInt16(6, apiVersion);
  view.setInt32(8, 7); // correlation id
  view.setInt16(12, clientId.length);
  request.set(clientId, 14);
  request.set(body, 14 + clientId.length);

  const conn = await Deno.connect({ hostname, port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(request);
    const chunks: Uint8Array[] = [];
    let have = 0;
    let need = 4 + 4; // size, correlation id; then the size says the rest
    const buf = new Uint8Array(4096);
    while (have < need) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`connection closed before the response (api key ${apiKey})`);
      chunks.push(buf.slice(0, n));
      have += n;
      if (have >= 4) need = 4 + new DataView(concat(chunks).buffer).getInt32(0);
    }
    const all = concat(chunks);
    const dv = new DataView(all.buffer);
    if (dv.getInt32(4) !== 7) throw new Error(`unexpected correlation id (api key ${apiKey})`);
    return new DataView(all.buffer, 8, need - 8);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed by the timer */ }
  }
}

/**
 * Sends one Metadata (v4) request and returns the number of brokers in the answer. Throws when
 * the port does not answer within `timeoutMs`.
 */
export async function probeMetadata(
  hostname: string,
  port: number,
  timeoutMs = 2000,
): Promise<number> {
  // Kafka 4 removed Metadata v0..v3. Body: all topics (-1), no auto-creation.
  const body = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0]);
  const response = await kafkaRequest(hostname, port, 3, 4, body, timeoutMs);
  return response.getInt32(4); // after throttle_time_ms: the broker array's length
}

/**
 * Sends one FindCoordinator (v2) request for consumer group `groupId` and returns its error
 * code: `0` when a group coordinator is ready (then `__consumer_offsets` exists and is loaded),
 * `15` (COORDINATOR_NOT_AVAILABLE) while it is not. Throws when the port does not answer within
 * `timeoutMs`.
 */
export async function probeCoordinator(
  hostname: string,
  port: number,
  groupId = "clickstream-probe",
  timeoutMs = 2000,
): Promise<number> {
  const key = new TextEncoder().encode(groupId);
  const body = new Uint8Array(2 + key.length + 1);
  new DataView(body.buffer).setInt16(0, key.length);
  body.set(key, 2);
  body[2 + key.length] = 0; // key type: group
  const response = await kafkaRequest(hostname, port, 10, 2, body, timeoutMs);
  return response.getInt16(4); // after throttle_time_ms
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Starts a local single-node Kafka (KRaft) broker and waits until it answers a Metadata request.
 * Resolves the jars first if needed. Throws {@linkcode BrokerStartError} (naming the log file and
 * showing its last lines) when the JVM exits or does not answer within `startTimeoutMs`.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<BrokerHandle> {
  options.signal?.throwIfAborted();
  const libDir = await ensureJars({
    libDir: options.libDir,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const tempDir = options.dataDir === undefined;
  const dataDir = options.dataDir ??
    await Deno.makeTempDir({ prefix: "clickstream-kafka-" });
  await Deno.mkdir(dataDir, { recursive: true });
  const wanted = [
    options.port,
    options.controllerPort,
    ...(options.extraListeners ?? []).map((l) => l.port),
  ];
  const given = wanted.filter((p): p is number => !!p);
  const picked = freePorts(wanted.filter((p) => !p).length, given);
  const ports = wanted.map((p) => p || picked.shift()!);
  const handle = new LocalBroker({
    libDir,
    dataDir: await Deno.realPath(dataDir),
    port: ports[0],
    controllerPort: ports[1],
    removeDataDir: options.removeDataDir ?? tempDir,
    extraPorts: ports.slice(2),
    options,
  });
  try {
    handle.checkPorts(); // before formatting the storage: fail fast
    await handle.prepare();
    await handle.start();
  } catch (error) {
    await handle[Symbol.asyncDispose]();
    throw error;
  }
  return handle;
}

interface LocalBrokerInit {
  libDir: string;
  dataDir: string;
  port: number;
  controllerPort: number;
  removeDataDir: boolean;
  /** The port of each of `options.extraListeners`, in order. */
  extraPorts: number[];
  options: BrokerOptions;
}

class LocalBroker implements BrokerHandle {
  #init: LocalBrokerInit;
  #child: Deno.ChildProcess | undefined;
  #status: Promise<Deno.CommandStatus> | undefined;
  #exited = true;
  #onUnload = () => {
    // Last resort when the owner never stopped it: do not leave a JVM behind. (If this process
    // dies without unloading, the supervisor shell notices and stops the JVM itself.)
    if (this.#child && !this.#exited) this.#killJvm("SIGKILL");
  };
  #onAbort = () => void this.stop();

  constructor(init: LocalBrokerInit) {
    this.#init = init;
    if (init.port === init.controllerPort) {
      throw new RangeError(
        `Cannot start ${this.#who}: the client and controller ports are both ${init.port}.`,
      );
    }
    const quorum = init.options.quorum;
    const voter = quorum?.voters.find((v) => v.nodeId === quorum.nodeId);
    if (quorum && voter?.controllerPort !== init.controllerPort) {
      throw new RangeError(
        `Cannot start ${this.#who}: node ${quorum.nodeId} must be one of the voters (${
          quorum.voters.map((v) => `${v.nodeId}@${v.controllerPort}`).join(",")
        }) with its controller port ${init.controllerPort}.`,
      );
    }
  }

  get brokers(): string {
    return `127.0.0.1:${this.#init.port}`;
  }
  get port(): number {
    return this.#init.port;
  }
  get controllerPort(): number {
    return this.#init.controllerPort;
  }
  get listeners(): Readonly<Record<string, string>> {
    const extra = this.#init.options.extraListeners ?? [];
    return Object.fromEntries(
      extra.map((l, i) => [l.name, `127.0.0.1:${this.#init.extraPorts[i]}`]),
    );
  }
  get dataDir(): string {
    return this.#init.dataDir;
  }
  get logFile(): string {
    return `${this.#init.dataDir}/broker.log`;
  }
  get pid(): number | undefined {
    return this.running ? this.#jvmPid() : undefined;
  }

  get #pidFile(): string {
    return `${this.#init.dataDir}/broker.pid`;
  }

  #jvmPid(): number | undefined {
    try {
      const pid = Number(Deno.readTextFileSync(this.#pidFile).trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Signals the JVM itself and its supervisor shell. */
  #killJvm(signal: Deno.Signal): void {
    const pid = this.#jvmPid();
    if (pid !== undefined) {
      try {
        Deno.kill(pid, signal);
      } catch { /* gone */ }
    }
    try {
      this.#child?.kill(signal);
    } catch { /* gone */ }
  }
  get running(): boolean {
    return this.#child !== undefined && !this.#exited;
  }

  get #java(): string {
    return this.#init.options.java ?? "java";
  }

  #jvmArgs(extra: string[] = []): string[] {
    const o = this.#init.options;
    return [
      `-Xmx${o.heap ?? "512m"}`,
      `-Xms${o.initialHeap ?? "128m"}`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-XX:+ExitOnOutOfMemoryError",
      "-Xshare:auto",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${this.#init.dataDir}/log4j2.properties`,
      `-Dkafka.logs.dir=${this.#init.dataDir}`,
      ...extra,
      ...(o.jvmArgs ?? []),
      "-cp",
      classPath(this.#init.libDir),
    ];
  }

  /** Writes the configuration and formats the storage when it is not formatted yet. */
  async prepare(): Promise<void> {
    const { dataDir, port, controllerPort } = this.#init;
    const quorum = this.#init.options.quorum;
    const extra = (this.#init.options.extraListeners ?? []).map((l, i) => ({
      ...l,
      port: this.#init.extraPorts[i],
    }));
    const listeners = [
      `PLAINTEXT://127.0.0.1:${port}`,
      `CONTROLLER://127.0.0.1:${controllerPort}`,
      ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`),
    ].join(",");
    const props: Record<string, string | number | boolean> = {
      "process.roles": "broker,controller",
      "node.id": quorum?.nodeId ?? 1,
      "controller.quorum.bootstrap.servers": quorum
        ? quorum.voters.map((v) => `127.0.0.1:${v.controllerPort}`).join(",")
        : `127.0.0.1:${controllerPort}`,
      "listeners": listeners,
      "advertised.listeners": listeners,
      "controller.listener.names": "CONTROLLER",
      "inter.broker.listener.name": "PLAINTEXT",
      "listener.security.protocol.map": [
        "PLAINTEXT:PLAINTEXT",
        "CONTROLLER:PLAINTEXT",
        ...extra.map((l) => `${l.name}:${l.protocol}`),
      ].join(","),
      "log.dirs": `${dataDir}/logs`,
      ...DEFAULT_BROKER_PROPERTIES,
      ...this.#init.options.properties,
    };
    const text = Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
    await Deno.writeTextFile(`${dataDir}/server.properties`, text);
    await Deno.writeTextFile(`${dataDir}/log4j2.properties`, log4jConfig());

    if (await exists(`${dataDir}/logs/meta.properties`)) return;
    this.#init.options.onProgress?.(`formatting Kafka storage in ${dataDir}/logs`);
    const out = await new Deno.Command(this.#java, {
      args: [
        ...this.#jvmArgs(["-XX:TieredStopAtLevel=1"]),
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        this.#init.options.quorum?.clusterId ?? kafkaUuid(),
        "--config",
        `${dataDir}/server.properties`,
        ...(quorum
          ? [
            "--initial-controllers",
            quorum.voters.map((v) => `${v.nodeId}@127.0.0.1:${v.controllerPort}:${v.directoryId}`)
              .join(","),
          ]
          : ["--standalone"]),
        ...(this.#init.options.formatArgs ?? []),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: this.#init.options.signal,
    }).output();
    const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    await Deno.writeTextFile(this.logFile, log, { append: true });
    if (!out.success) {
      throw new BrokerStartError(
        `Formatting Kafka storage in ${dataDir}/logs failed (exit ${out.code}); see ${this.logFile}:\n${
          log.slice(-3000)
        }`,
        this.logFile,
      );
    }
  }

  /**
   * Throws {@linkcode BrokerStartError} when a port this broker needs is taken. Without this, a
   * second broker on the port of a running one would find that one answering the readiness check,
   * report itself up, and its own JVM would die on the taken port.
   */
  checkPorts(): void {
    const named: [string, number][] = [
      ["client", this.#init.port],
      ["controller", this.#init.controllerPort],
      ...(this.#init.options.extraListeners ?? []).map((l, i): [string, number] => [
        `${l.name} listener`,
        this.#init.extraPorts[i],
      ]),
    ];
    refuseTakenPorts(this.#who, named, this.logFile);
  }

  /** How an error message begins: "The Kafka broker", or "Kafka broker 2 of the cluster". */
  get #title(): string {
    const quorum = this.#init.options.quorum;
    return quorum ? `Kafka broker ${quorum.nodeId} of the cluster` : "The Kafka broker";
  }

  /** How messages name this broker: "the broker", or "broker 2 of the cluster" (node id 2). */
  get #who(): string {
    const quorum = this.#init.options.quorum;
    return quorum ? `broker ${quorum.nodeId} of the cluster` : "the broker";
  }

  whenExited(): Promise<number> {
    return this.#status?.then((status) => status.code) ?? Promise.resolve(0);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const o = this.#init.options;
    o.signal?.throwIfAborted();
    this.checkPorts();
    const startTimeoutMs = o.startTimeoutMs ?? 90_000;
    const t0 = Date.now();
    await Deno.writeTextFile(
      this.logFile,
      `\n==== starting broker at ${new Date().toISOString()}\n`,
      {
        append: true,
      },
    );
    await Deno.remove(this.#pidFile).catch(() => {});
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        SUPERVISOR,
        "sh",
        this.#java,
        ...this.#jvmArgs(),
        "kafka.Kafka",
        `${this.dataDir}/server.properties`,
      ],
      env: {
        CLICKSTREAM_KAFKA_LOG: this.logFile,
        CLICKSTREAM_KAFKA_PIDFILE: this.#pidFile,
        CLICKSTREAM_KAFKA_OWNER: String(Deno.pid),
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#child = child;
    this.#exited = false;
    this.#status = child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    globalThis.addEventListener("unload", this.#onUnload);
    o.signal?.addEventListener("abort", this.#onAbort, { once: true });

    let lastError: unknown;
    while (true) {
      if (this.#exited) {
        const status = await this.#status;
        throw new BrokerStartError(
          `${this.#title} exited during start (code ${status.code}); see ${this.logFile}:\n${await tail(
            this.logFile,
            25,
          )}`,
          this.logFile,
        );
      }
      if (o.signal?.aborted) {
        await this.stop();
        o.signal.throwIfAborted();
      }
      if (Date.now() - t0 > startTimeoutMs) {
        await this.stop();
        throw new BrokerStartError(
          `${this.#title} did not answer a Metadata request on ${this.brokers} within ${startTimeoutMs} ms (last error: ${lastError}); see ${this.logFile}:\n${await tail(
            this.logFile,
            25,
          )}`,
          this.logFile,
          { cause: lastError },
        );
      }
      try {
        if (await probeMetadata("127.0.0.1", this.port, 2000) > 0) return;
        lastError = new Error("the Metadata response listed no brokers yet");
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    if (!this.#exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const stopTimeoutMs = this.#init.options.stopTimeoutMs ?? 20_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        this.#status!.then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), stopTimeoutMs)),
      ]);
      clearTimeout(timer);
      if (timedOut) this.#killJvm("SIGKILL");
    }
    await this.#status;
    globalThis.removeEventListener("unload", this.#onUnload);
    this.#init.options.signal?.removeEventListener("abort", this.#onAbort);
    this.#child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    if (this.#init.removeDataDir) {
      await Deno.remove(this.#init.dataDir, { recursive: true }).catch(() => {});
    }
  }
}
