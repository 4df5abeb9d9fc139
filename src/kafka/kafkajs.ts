/**
 * The kafkajs gate: the one module of the program that loads kafkajs (value and type imports,
 * deep `kafkajs/src/...` modules, `require`s of its internals). Everything else in `src/kafka/`
 * takes kafkajs from here; `tests/kafka/kafkajs_gate_test.ts` fails naming any other file of
 * `src/` that imports it.
 *
 * When it loads, in this order, before anything else of the program can touch kafkajs:
 *
 * 1. It checks that the installed kafkajs is the one the patches were written for
 *    ({@linkcode KAFKAJS_VERSION}, the version `deno.json` pins), and throws
 *    {@linkcode KafkaJsVersionError} naming both versions otherwise. Only kafkajs'
 *    `package.json` has been read at that point.
 * 2. It installs the patches, each given the kafkajs internals it replaces:
 *    the linear grouping of the producer (`linear_grouping.ts`; first, because it must be in the
 *    CommonJS cache before kafkajs' producer is loaded, and {@linkcode KafkaJsPatchError} if that
 *    is too late), the default partitioner looking at a message's explicit partition first
 *    (`explicit_partition.ts`; also before the producer loads), the fast CRC32C of record
 *    batches (`fast_crc32c.ts`; before kafkajs' record
 *    batch encoder is loaded), the direct record batch of the produce request
 *    (`direct_record_batch.ts`; before kafkajs' produce request is loaded: it writes every
 *    uncompressed batch straight into one buffer), the fast varints of the encoder
 *    (`fast_varints.ts`: compressed batches, written by kafkajs' own record encoder), the fast
 *    varlong decoding of the decoder (`fast_long_decoding.ts`), the columnar fetch (`columnar_fetch.ts`;
 *    before kafkajs' fetch responses and consumer group are loaded: a fetched record set becomes
 *    columns over the response, kafkajs' messages are made only when read), the direct response
 *    (`direct_response.ts`; before kafkajs' client is loaded: a plaintext socket reads each response
 *    straight into a buffer of its own, no chunks to concatenate), and the filter that keeps
 *    kafkajs' negative-timeout warning off stderr (`timeout_warning.ts`). The patches that swap a
 *    module in the CommonJS cache throw {@linkcode KafkaJsPatchError} when the module that takes
 *    it is already loaded.
 * 3. It loads kafkajs itself, and checks the private cluster factory that `evict_member.ts`
 *    needs is where this version keeps it.
 *
 * Each patch counts its calls; {@linkcode patchCalls} reads them all, and
 * `tests/kafka/kafkajs_gate_kafka_test.ts` checks every one moves during a real produce and
 * consume. Importing this module (directly, or through the client, producer, consumer or admin)
 * is all it takes: there is no import order to keep anywhere else.
 *
 * @module
 */

import { createRequire } from "node:module";
import type * as KafkaJs from "kafkajs";
// JSON only: no kafkajs code runs before the version check.
import kafkajsPackage from "kafkajs/package.json" with { type: "json" };
import { columnarFetchCalls, installColumnarFetch } from "./columnar_fetch.ts";
import { directRecordBatchCalls, installDirectRecordBatch } from "./direct_record_batch.ts";
import { directResponseCalls, installDirectResponse } from "./direct_response.ts";
import type { EncoderClass, LongClass, RecordBatchModule } from "./direct_record_batch.ts";
import {
  explicitPartitionCalls,
  installExplicitPartition,
  type PartitionersModule,
} from "./explicit_partition.ts";
import { fastCrc32cCalls, installFastCrc32c } from "./fast_crc32c.ts";
import { fastLongDecodingCalls, installFastLongDecoding } from "./fast_long_decoding.ts";
import { fastVarintsCalls, installFastVarints } from "./fast_varints.ts";
import { checkKafkaJsVersion } from "./kafkajs_version.ts";
import {
  type CommonJsModule,
  installLinearGrouping,
  linearGroupingCalls,
} from "./linear_grouping.ts";
import { quietKafkaJsTimeoutWarning } from "./timeout_warning.ts";

export { checkKafkaJsVersion, KAFKAJS_VERSION, KafkaJsVersionError } from "./kafkajs_version.ts";

// kafkajs' types, by the names kafkajs gives them. Aliases rather than `export type { ... } from`:
// the documentation of src/kafka/ then names kafkajs' type instead of copying its declaration.

/** kafkajs' admin client (`KafkaAdmin` wraps one). */
export type Admin = KafkaJs.Admin;
/** kafkajs' consumer (`EventConsumer` wraps one). */
export type Consumer = KafkaJs.Consumer;
/** The settings of a kafkajs consumer (`consumer_options.ts` makes them). */
export type ConsumerConfig = KafkaJs.ConsumerConfig;
/** What kafkajs hands its `eachBatch` callback: the fetched batch and its controls. */
export type EachBatchPayload = KafkaJs.EachBatchPayload;
/** One record as kafkajs' consumer delivers it (Node `Buffer`s, string offsets). */
export type KafkaMessage = KafkaJs.KafkaMessage;
/** One line of kafkajs' own logging, as its log creator receives it. */
export type LogEntry = KafkaJs.LogEntry;
/** One record as kafkajs' producer takes it. */
export type Message = KafkaJs.Message;
/** kafkajs' producer (`EventProducer` wraps one). */
export type Producer = KafkaJs.Producer;
/** Where the broker put a produce request's records: partition and base offset. */
export type RecordMetadata = KafkaJs.RecordMetadata;
/** kafkajs' retry policy of requests and (re)connections. */
export type RetryOptions = KafkaJs.RetryOptions;
/** kafkajs' SASL settings (mechanism and credentials). */
export type SASLOptions = KafkaJs.SASLOptions;

/**
 * Raised when the gate cannot put a patch in place, or a private piece of kafkajs the program
 * uses is missing: the message says which, and what to do.
 */
export class KafkaJsPatchError extends Error {
  /** What could not be done, e.g. `"linear grouping"`, `"cluster factory"`. */
  readonly patch: string;
  /** Creates the error. */
  constructor(patch: string, detail: string) {
    super(`Cannot set up kafkajs (${patch}): ${detail}`);
    this.name = "KafkaJsPatchError";
    this.patch = patch;
  }
}

// 1. The version, before any kafkajs code runs.
checkKafkaJsVersion(kafkajsPackage.version);

const require = createRequire(import.meta.url);

/** The CommonJS cache entry of a kafkajs module, loading it if it is not loaded yet. */
function kafkajsModule(specifier: string): CommonJsModule {
  const path = require.resolve(specifier);
  require(specifier);
  const entry = (require.cache as Record<string, CommonJsModule | undefined>)[path];
  if (entry === undefined) {
    throw new KafkaJsPatchError(specifier, `${path} is not in the CommonJS module cache`);
  }
  return entry;
}

/**
 * Throws {@linkcode KafkaJsPatchError} when `taker`, the kafkajs module that takes a swapped
 * module when it loads, is loaded already: it would keep kafkajs' own.
 */
function notLoadedYet(patch: string, taker: string, what: string): void {
  if (require.resolve(taker) in require.cache) {
    throw new KafkaJsPatchError(
      patch,
      `kafkajs' ${what} was loaded before src/kafka/kafkajs.ts, so it would keep kafkajs' own ` +
        `code. Something imported kafkajs directly: import it only through src/kafka/kafkajs.ts.`,
    );
  }
}

// 2. The patches, in this order.
if (require.resolve("kafkajs/src/producer/sendMessages.js") in require.cache) {
  throw new KafkaJsPatchError(
    "linear grouping",
    "kafkajs' producer was loaded before src/kafka/kafkajs.ts, so it would group records with " +
      "kafkajs' quadratic groupMessagesPerPartition. Something imported kafkajs directly: import " +
      "it only through src/kafka/kafkajs.ts.",
  );
}
installLinearGrouping(kafkajsModule("kafkajs/src/producer/groupMessagesPerPartition.js"));
notLoadedYet("explicit partition", "kafkajs/src/producer/index.js", "producer");
installExplicitPartition(
  kafkajsModule("kafkajs/src/producer/partitioners/index.js").exports as PartitionersModule,
);
notLoadedYet("fast CRC32C", "kafkajs/src/protocol/recordBatch/v0/index.js", "record batch encoder");
const crc32cModule = kafkajsModule("kafkajs/src/protocol/recordBatch/crc32C/index.js");
installFastCrc32c(crc32cModule);
notLoadedYet(
  "direct record batch",
  "kafkajs/src/protocol/requests/produce/v3/request.js",
  "produce request",
);
const encoderClass = kafkajsModule("kafkajs/src/protocol/encoder.js").exports;
installDirectRecordBatch({
  record: kafkajsModule("kafkajs/src/protocol/recordBatch/record/v0/index.js"),
  recordBatch: kafkajsModule("kafkajs/src/protocol/recordBatch/v0/index.js")
    .exports as RecordBatchModule,
  encoder: encoderClass as EncoderClass,
  long: kafkajsModule("kafkajs/src/utils/long.js").exports as LongClass,
  crc32c: crc32cModule.exports as (bytes: Uint8Array) => number,
});
installFastVarints(encoderClass);
installFastLongDecoding(
  kafkajsModule("kafkajs/src/protocol/decoder.js").exports,
  kafkajsModule("kafkajs/src/utils/long.js").exports,
);
for (const version of [4, 5, 7, 8, 11]) {
  notLoadedYet(
    "columnar fetch",
    `kafkajs/src/protocol/requests/fetch/v${version}/response.js`,
    "fetch response",
  );
}
notLoadedYet("columnar fetch", "kafkajs/src/consumer/consumerGroup.js", "consumer group");
installColumnarFetch({
  decodeMessages: kafkajsModule("kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js"),
  batch: kafkajsModule("kafkajs/src/consumer/batch.js"),
});
notLoadedYet("direct response", "kafkajs/src/index.js", "client");
installDirectResponse({
  socketFactory: kafkajsModule("kafkajs/src/network/socketFactory.js"),
  connection: kafkajsModule("kafkajs/src/network/connection.js"),
});
quietKafkaJsTimeoutWarning();

// 3. kafkajs itself: its producer now takes the linear grouping.
const kafkajs = require("kafkajs") as typeof KafkaJs;

/** kafkajs' client class. */
export const Kafka: typeof KafkaJs.Kafka = kafkajs.Kafka;
/** A kafkajs client. */
export type Kafka = KafkaJs.Kafka;
/** kafkajs' log levels. */
export const logLevel: typeof KafkaJs.logLevel = kafkajs.logLevel;
/** A kafkajs log level. */
export type logLevel = KafkaJs.logLevel;
/** kafkajs' compression codecs. */
export const CompressionTypes: typeof KafkaJs.CompressionTypes = kafkajs.CompressionTypes;
/** A kafkajs compression codec. */
export type CompressionTypes = KafkaJs.CompressionTypes;
/** kafkajs' partitioners. */
export const Partitioners: typeof KafkaJs.Partitioners = kafkajs.Partitioners;

/** The options kafkajs' private cluster factory takes (the ones the program passes). */
export interface ClusterOptions {
  /** Whether a metadata request may create a missing topic. */
  allowAutoTopicCreation: boolean;
}

/** kafkajs' private cluster factory of one `Kafka` instance; what it returns is kafkajs' `Cluster`. */
export type ClusterFactory = (options: ClusterOptions) => unknown;

/** The description of the private symbol under which kafkajs 2.2.4 keeps the cluster factory. */
const CREATE_CLUSTER = "private:Kafka:createCluster";

/**
 * The private cluster factory of a kafkajs client: `Kafka` makes its producers', consumers' and
 * admins' clusters with it, with the client's brokers, TLS, SASL and retry settings. kafkajs
 * keeps it under a symbol its module does not export, so it is found by the symbol's
 * description, here only. Throws {@linkcode KafkaJsPatchError} when it is not there.
 */
export function clusterFactory(kafka: Kafka): ClusterFactory {
  const own = kafka as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(own).find((s) => s.description === CREATE_CLUSTER);
  const factory = symbol === undefined ? undefined : own[symbol];
  if (typeof factory !== "function") {
    throw new KafkaJsPatchError(
      "cluster factory",
      `this kafkajs client has no function under the symbol "${CREATE_CLUSTER}"`,
    );
  }
  return factory as ClusterFactory;
}

// The private piece evict_member.ts needs: missing, it fails here, not at the first eviction.
clusterFactory(new Kafka({ brokers: ["127.0.0.1:9092"], logLevel: kafkajs.logLevel.NOTHING }));

/**
 * Every call counter of the patches, by name (`<patch>.<replaced function>`): how often kafkajs
 * has run each replacement in this process. A counter that stays at 0 through a produce and a
 * consume means kafkajs no longer goes through that patch.
 */
export function patchCalls(): Record<string, number> {
  const varints = fastVarintsCalls();
  const longs = fastLongDecodingCalls();
  const direct = directRecordBatchCalls();
  const columnar = columnarFetchCalls();
  const response = directResponseCalls();
  return {
    "linearGrouping.groupMessagesPerPartition": linearGroupingCalls(),
    "explicitPartition.DefaultPartitioner": explicitPartitionCalls(),
    "fastCrc32c.crc32C": fastCrc32cCalls(),
    "directRecordBatch.Record": direct.Record,
    "directRecordBatch.RecordBatch": direct.RecordBatch,
    "fastVarints.writeUVarInt": varints.writeUVarInt,
    "fastVarints.writeVarLong": varints.writeVarLong,
    "fastVarints.sizeOfVarLong": varints.sizeOfVarLong,
    "fastLongDecoding.readVarLong": longs.readVarLong,
    "fastLongDecoding.fromValue": longs.fromValue,
    "fastLongDecoding.fromValueCached": longs.fromValueCached,
    "columnarFetch.decodeMessages": columnar.decodeMessages,
    "columnarFetch.Batch": columnar.Batch,
    "directResponse.socketFactory": response.socketFactory,
    "directResponse.processData": response.processData,
  };
}
