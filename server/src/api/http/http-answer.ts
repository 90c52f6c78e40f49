import type { ServerResponse } from "node:http";
import type { BinaryInferAnswer } from "../v2/infer-codec";

/** An inference route's answer: JSON text or bytes, or V2's JSON followed by binary tensors. */
export type HttpAnswer = string | Buffer | BinaryInferAnswer;

/**
 * Writes a 200 answer and ends the response (`done` when the last byte is out). A binary
 * V2 answer goes out as application/octet-stream with the JSON's length in the
 * Inference-Header-Content-Length header; its tensors are written as they are, not joined.
 */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer, done?: () => void): void {
  if (typeof answer === "string" || Buffer.isBuffer(answer)) {
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(answer),
    });
    res.end(answer, done);
    return;
  }
  const json = Buffer.from(answer.json, "utf8");
  let length = json.length;
  for (const tensor of answer.tensors) length += tensor.byteLength;
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": length,
    // Spelled as Triton's clients look it up.
    "Inference-Header-Content-Length": json.length,
  });
  res.cork();
  res.write(json);
  for (const tensor of answer.tensors) res.write(tensor);
  res.end(done);
}
