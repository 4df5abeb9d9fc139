/**
 * Test certificates made at test time with Java's `keytool` (and nothing else): a CA, a broker
 * key pair signed by it (SAN `IP:127.0.0.1`, `DNS:localhost`) in a PKCS12 keystore for the
 * broker, the CA certificate as PEM for the Deno client, and a second, unrelated CA (PEM) that
 * must not be trusted.
 *
 * @module
 */

/** The files {@linkcode makeTestCertificates} wrote. */
export interface TestCertificates {
  /** The directory holding them. */
  dir: string;
  /** The CA certificate (PEM) that signed the broker's certificate. */
  caPem: string;
  /** Another CA's certificate (PEM): it did not sign the broker's certificate. */
  otherCaPem: string;
  /** The broker's PKCS12 keystore (key, certificate, chain). */
  brokerKeystore: string;
  /** The keystore's password. */
  password: string;
}

async function keytool(args: string[]): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("keytool", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (cause) {
    throw new Error(
      "keytool (Java 17) is needed to make the test certificates: apt-get install -y openjdk-17-jdk-headless",
      { cause },
    );
  }
  if (!out.success) {
    throw new Error(
      `keytool ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}${
        new TextDecoder().decode(out.stdout)
      }`,
    );
  }
}

/** Makes the certificates in `dir` (created if missing). */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  await Deno.mkdir(dir, { recursive: true });
  const password = "test-store-pass";
  const store = (name: string) => [
    "-keystore",
    `${dir}/${name}.p12`,
    "-storetype",
    "PKCS12",
    "-storepass",
    password,
  ];
  const ca = async (name: string) => {
    await keytool([
      "-genkeypair",
      "-alias",
      "ca",
      "-keyalg",
      "RSA",
      "-keysize",
      "2048",
      "-dname",
      `CN=${name}`,
      "-ext",
      "bc:c",
      "-ext",
      "KU=keyCertSign,cRLSign",
      "-validity",
      "2",
      ...store(name),
      "-keypass",
      password,
    ]);
    await keytool([
      "-exportcert",
      "-alias",
      "ca",
      "-rfc",
      "-file",
      `${dir}/${name}.pem`,
      ...store(name),
    ]);
  };
  await ca("test-ca");
  await ca("other-ca");
  await keytool([
    "-genkeypair",
    "-alias",
    "broker",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-dname",
    "CN=localhost",
    "-validity",
    "2",
    ...store("broker"),
    "-keypass",
    password,
  ]);
  await keytool(["-certreq", "-alias", "broker", "-file", `${dir}/broker.csr`, ...store("broker")]);
  await keytool([
    "-gencert",
    "-alias",
    "ca",
    "-infile",
    `${dir}/broker.csr`,
    "-outfile",
    `${dir}/broker.crt`,
    "-rfc",
    "-validity",
    "2",
    "-ext",
    "SAN=ip:127.0.0.1,dns:localhost",
    "-ext",
    "KU=digitalSignature,keyEncipherment",
    "-ext",
    "EKU=serverAuth",
    ...store("test-ca"),
  ]);
  await keytool([
    "-importcert",
    "-alias",
    "ca",
    "-file",
    `${dir}/test-ca.pem`,
    "-noprompt",
    ...store("broker"),
  ]);
  await keytool([
    "-importcert",
    "-alias",
    "broker",
    "-file",
    `${dir}/broker.crt`,
    ...store("broker"),
  ]);
  return {
    dir,
    caPem: `${dir}/test-ca.pem`,
    otherCaPem: `${dir}/other-ca.pem`,
    brokerKeystore: `${dir}/broker.p12`,
    password,
  };
}
