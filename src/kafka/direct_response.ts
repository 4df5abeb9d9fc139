/**
 * kafkajs 2.2.4's responses read straight into their own buffers, installed by the kafkajs gate
 * (`src/kafka/kafkajs.ts`; docs/design.md "Where `learn`'s time goes").
 *
 * kafkajs' `Connection.processData` keeps every chunk its socket delivers until a response is
 * complete, then `Buffer.concat`s them: a fetch of 8 MiB is 128 chunks of 64 KiB, each a backing
 * store of its own, copied once more into the response. The patch:
 *
 * - swaps kafkajs' default socket factory (`src/network/socketFactory.js`, which kafkajs' client
 *   takes when its module loads) for one whose plaintext sockets read through a
 *   {@linkcode ResponseFramer} (`onread`): the socket reads a response's bytes into that response's
 *   own buffer and emits `data` once per whole response. TLS sockets are kafkajs' own (`tls`
 *   reads are its business), and so is a `socketFactory` given to the client;
 * - puts in front of `Connection.prototype.processData` a fast path for such a whole response
 *   when nothing is buffered and no SASL exchange is running: it hands the request queue exactly
 *   what kafkajs' own path would (`size`, `correlationId`, `payload` a view over the response),
 *   without the chunk list. Anything else goes to kafkajs' own `processData`.
 *
 * `tests/kafka/direct_response_test.ts` feeds the framer every split of a byte stream, and
 * `tests/kafka/kafkajs_gate_kafka_test.ts` checks with {@linkcode directResponseCalls} that a
 * real produce and consume go through both parts.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import net from "node:net";
import type { CommonJsModule } from "./linear_grouping.ts";
import { ResponseFrameError, ResponseFramer } from "./response_framer.ts";

/** kafkajs' keep-alive delay of its sockets (`socketFactory.js`). */
const KEEP_ALIVE_DELAY_MS = 60_000;

/** What kafkajs passes a socket factory. */
export interface SocketFactoryOptions {
  /** The broker's host. */
  host: string;
  /** The broker's port. */
  port: number;
  /** kafkajs' TLS options, or a falsy value for plaintext. */
  ssl: unknown;
  /** Called once the socket is connected. */
  onConnect: () => void;
}

/** A kafkajs socket factory: makes the socket of one connection. */
export type SocketFactory = (options: SocketFactoryOptions) => net.Socket;

/** The part of kafkajs' `Connection` the fast path reads. */
interface ConnectionState {
  bytesBuffered: number;
  authHandlers: unknown;
  requestQueue: {
    fulfillRequest(response: { size: number; correlationId: number; payload: Buffer }): void;
  };
}

/** The kafkajs internals the patch takes. */
export interface DirectResponseModules {
  /** `kafkajs/src/network/socketFactory.js`: exports the default socket factory's maker. */
  socketFactory: CommonJsModule;
  /** `kafkajs/src/network/connection.js`: exports the `Connection` class. */
  connection: CommonJsModule;
}

/** The whole responses a framed socket emitted that kafkajs has not taken yet. */
const wholeResponses = new WeakSet<Buffer>();

let sockets = 0;
let responses = 0;
/** The `Connection` prototypes patched already. */
const patched = new WeakSet<object>();

/**
 * How often, in this process, kafkajs has made a framed socket (`socketFactory`) and taken a whole
 * response on the fast path (`processData`). Tests compare two readings around a consume.
 */
export function directResponseCalls(): { socketFactory: number; processData: number } {
  return { socketFactory: sockets, processData: responses };
}

/** A plaintext socket to `host:port` whose reads go through a {@linkcode ResponseFramer}. */
function framedSocket({ host, port, onConnect }: SocketFactoryOptions): net.Socket {
  const framer = new ResponseFramer((response) => {
    wholeResponses.add(response);
    socket.emit("data", response);
  });
  const socket: net.Socket = net.connect({
    host,
    port,
    onread: {
      buffer: () => framer.buffer(),
      callback: (nread: number) => {
        try {
          framer.read(nread);
        } catch (error) {
          if (!(error instanceof ResponseFrameError)) throw error;
          socket.destroy(error);
        }
        return true; // go on reading (false would pause the socket)
      },
    },
  }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  sockets++;
  return socket;
}

/**
 * The maker of kafkajs' default socket factory, around kafkajs' own (`makeDefault`): plaintext
 * sockets are framed, TLS sockets kafkajs'.
 */
export function framedSocketFactory(makeDefault: () => SocketFactory): () => SocketFactory {
  return () => {
    const kafkajsFactory = makeDefault();
    return (options) => options.ssl ? kafkajsFactory(options) : framedSocket(options);
  };
}

/**
 * Installs the patch (once per `Connection` class; again is a no-op). The socket factory must be swapped before kafkajs'
 * client module (`kafkajs/src/index.js`) loads; the gate checks that.
 */
export function installDirectResponse(modules: DirectResponseModules): void {
  const makeDefault = modules.socketFactory.exports as () => SocketFactory;
  const connection = modules.connection.exports as {
    prototype: { processData(this: ConnectionState, rawData: Buffer): unknown };
  };
  if (patched.has(connection.prototype)) return;
  const processData = connection.prototype.processData;
  if (typeof makeDefault !== "function" || typeof processData !== "function") {
    throw new TypeError(
      "kafkajs' socket factory or Connection.prototype.processData is not a function",
    );
  }
  modules.socketFactory.exports = framedSocketFactory(makeDefault);
  connection.prototype.processData = function (this: ConnectionState, rawData: Buffer) {
    if (
      this.bytesBuffered === 0 && !this.authHandlers && rawData.length >= 8 &&
      wholeResponses.delete(rawData)
    ) {
      responses++;
      // What kafkajs' own path hands on for a response that is all of its buffer.
      this.requestQueue.fulfillRequest({
        size: rawData.readInt32BE(0),
        correlationId: rawData.readInt32BE(4),
        payload: rawData.subarray(8),
      });
      return;
    }
    return processData.call(this, rawData);
  };
  patched.add(connection.prototype);
}
