import { FlagError } from "./flags";

/**
 * --grpc_channel_arguments as TF Serving reads it (server.cc parseGrpcChannelArgs): a
 * comma-separated list of key=value; a value that is an integer is passed as one, any
 * other as a string. grpc-js takes the same keys as server options.
 */
export function parseGrpcChannelArguments(text: string): Record<string, string | number> {
  const options = Object.create(null) as Record<string, string | number>;
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue;
    const at = entry.indexOf("=");
    if (at <= 0) {
      throw new FlagError(
        `--grpc_channel_arguments: "${entry}" is not key=value (e.g. grpc.max_connection_age_ms=2000)`,
      );
    }
    const key = entry.slice(0, at).trim();
    const value = entry.slice(at + 1).trim();
    options[key] =
      /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
  return options;
}
