import { join } from "node:path";
import * as protobuf from "protobufjs";
import { PROTO_DIR } from "./tensorflow-protos";
import { parseTextProto, TextFormatError } from "./text-format";

/**
 * TF Serving's messages (protocol/protos/tensorflow_serving.proto): its gRPC API and its
 * config files, with proto field names kept; and its request logs (prediction_log.proto).
 */
const ROOT = new protobuf.Root();
ROOT.resolvePath = (_origin, target) =>
  // protobufjs carries google/protobuf/*.proto itself.
  target.startsWith("google/") ? target : join(PROTO_DIR, target);
ROOT.loadSync(["tensorflow_serving.proto", "prediction_log.proto"], { keepCase: true });

/** The protobufjs type of a TF Serving message ("tensorflow.serving.X"). */
export function servingType(name: string): protobuf.Type {
  return ROOT.lookupType(`tensorflow.serving.${name}`);
}

/**
 * A TF Serving config file's message from its text form.
 * @throws Error with TF Serving's "Error parsing text-format tensorflow.serving.X: " prefix
 */
export function parseServingConfig(name: string, text: string): Record<string, unknown> {
  try {
    return parseTextProto(servingType(name), text);
  } catch (error) {
    if (!(error instanceof TextFormatError)) throw error;
    throw new Error(`Error parsing text-format tensorflow.serving.${name}: ${error.message}`);
  }
}
