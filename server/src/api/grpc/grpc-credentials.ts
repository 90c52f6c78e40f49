import { rootCertificates } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { SslConfig } from "../../config/ssl-config";

/**
 * TF Serving's BuildServerCredentials (server.cc): the server's key pair; with
 * client_verify, a client must present a certificate signed by custom_ca (the system's
 * roots when there is none), else the handshake fails.
 */
export function grpcCredentials(ssl: SslConfig): grpc.ServerCredentials {
  const roots = ssl.customCa ?? (ssl.clientVerify ? rootCertificates.join("\n") : undefined);
  return grpc.ServerCredentials.createSsl(
    roots === undefined ? null : Buffer.from(roots),
    [{ private_key: Buffer.from(ssl.serverKey), cert_chain: Buffer.from(ssl.serverCert) }],
    ssl.clientVerify,
  );
}
