/**
 * Finds out why a TLS connection to a broker failed when kafkajs only says the connection
 * closed. A broker whose listener requires a client certificate (`ssl.client.auth=required`)
 * finishes the TLS 1.3 handshake from the client's point of view, then rejects the missing
 * certificate with an alert and closes the socket. Whether kafkajs reports the alert
 * (`received fatal alert: BadCertificate`) or only the closed socket (`write after end`) is a
 * race (seen on a loaded CI machine). This probe opens one TLS connection of its own with the
 * same settings, sends an ApiVersions request, and tells the cases apart: an alert or a close
 * without an answer is a TLS refusal; an answer, a refused TCP connection or silence is not.
 *
 * @module
 */

import { isIP } from "node:net";
import { connect, type ConnectionOptions } from "node:tls";
import { Buffer } from "node:buffer";

/** ApiVersions v0 (api key 18), correlation id 1, null client id, with its length prefix. */
const API_VERSIONS_REQUEST = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);

/** Socket errors that mean the broker is not there at all, not that TLS went wrong. */
const NOT_TLS = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|refused/i;

/**
 * Opens one TLS connection to `broker` (`host:port`) with `options` (as given to kafkajs) and
 * returns why the broker refused it, or `undefined` when TLS is not the problem (the broker
 * answered, could not be reached, or said nothing within `timeoutMs`).
 *
 * @param broker The broker, `host:port`.
 * @param options The TLS settings, as given to kafkajs.
 * @param timeoutMs How long to wait for an answer, ms; `5000` when not given.
 */
export function probeTls(
  broker: string,
  options: ConnectionOptions,
  timeoutMs = 5000,
): Promise<string | undefined> {
  const match = /^(.+):(\d+)$/.exec(broker);
  if (!match) return Promise.resolve(undefined);
  const host = match[1];
  const port = Number(match[2]);
  return new Promise((resolve) => {
    let handshaken = false;
    let settled = false;
    const socket = connect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...options });
    const finish = (verdict: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once("secureConnect", () => {
      handshaken = true;
      socket.write(API_VERSIONS_REQUEST);
    });
    socket.once("data", () => finish(undefined));
    socket.once("error", (error: Error & { code?: string }) => {
      const text = `${error.code ?? ""} ${error.message}`;
      if (!handshaken && NOT_TLS.test(text)) return finish(undefined);
      finish(
        handshaken
          ? `the broker ended the TLS session after the handshake (${error.message}); ` +
            `it may require a client certificate (--tls-cert/--tls-key)`
          : `the TLS handshake failed (${error.message})`,
      );
    });
    socket.once("close", () =>
      finish(
        handshaken
          ? "the broker closed the TLS connection right after the handshake without answering, " +
            "as a broker that requires a client certificate (--tls-cert/--tls-key) does"
          : undefined,
      ));
  });
}
