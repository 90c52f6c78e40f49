import { readFile } from "node:fs/promises";
import type { TlsOptions } from "node:tls";
import { parseServingConfig } from "@servable/protocol";
import { FlagError } from "./flags";

/**
 * TF Serving's SSLConfig (`--ssl_config_file`, text format): the server's key and
 * certificate, a CA for client certificates, and whether a client must present one signed
 * by it. The fields hold PEM text itself, as in TF Serving, not file names.
 */
export interface SslConfig {
  readonly serverKey: string;
  readonly serverCert: string;
  /** PEM of the CA(s) that sign client certificates; undefined: the system's roots. */
  readonly customCa?: string;
  readonly clientVerify: boolean;
}

interface SslConfigMessage {
  server_key?: string;
  server_cert?: string;
  custom_ca?: string;
  client_verify?: boolean;
}

/** @throws FlagError naming the file and what is wrong with it */
export async function readSslConfig(path: string): Promise<SslConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new FlagError(`--ssl_config_file ${path}: ${(error as Error).message}`);
  }
  let message: SslConfigMessage;
  try {
    message = parseServingConfig("SSLConfig", text) as SslConfigMessage;
  } catch (error) {
    throw new FlagError(`--ssl_config_file ${path}: ${(error as Error).message}`);
  }
  const pem = (field: "server_key" | "server_cert", what: string): string => {
    const value = message[field];
    if (!value?.includes("-----BEGIN")) {
      throw new FlagError(
        `--ssl_config_file ${path}: ${field} must hold the PEM text of ${what} (the text itself, not a file name)`,
      );
    }
    return value;
  };
  return {
    serverKey: pem("server_key", "the server's private key"),
    serverCert: pem("server_cert", "the server's certificate"),
    customCa: message.custom_ca || undefined,
    clientVerify: message.client_verify ?? false,
  };
}

/**
 * The same TLS on the REST port (--rest_api_ssl): with client_verify a client must present
 * a certificate signed by custom_ca.
 */
export function httpsOptions(ssl: SslConfig): TlsOptions {
  return {
    key: ssl.serverKey,
    cert: ssl.serverCert,
    ...(ssl.customCa ? { ca: ssl.customCa } : {}),
    requestCert: ssl.clientVerify,
    rejectUnauthorized: ssl.clientVerify,
  };
}
