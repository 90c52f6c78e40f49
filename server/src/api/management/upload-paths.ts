import { invalidArgument } from "@servable/protocol";

/**
 * Where an uploaded part goes inside the version folder. A path is relative, made of
 * `[A-Za-z0-9_.-]` segments joined by `/`, none of them `.` or `..`.
 *
 * The part's field name names it when the filename is absent, equal to it, or its last
 * segment (TF.js's `tf.io.http`, `curl -F variables/variables.index=@...`, a browser's
 * FormData with the path as both); otherwise the filename does (several parts sharing one
 * field name: `curl -F file=@model.json -F file=@weights.bin`).
 */
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const MAX_DEPTH = 16;

export function partPath(fieldName: string, fileName: string | undefined): string {
  const byField = !fileName || fileName === fieldName || fieldName.endsWith(`/${fileName}`);
  const path = byField ? fieldName : fileName;
  if (!isValidPath(path)) {
    throw invalidArgument(
      `Invalid file path in upload: ${JSON.stringify(path)} ` +
        "(paths are relative, made of [A-Za-z0-9_.-] segments separated by /, without . or ..)",
    );
  }
  return path;
}

export function isValidPath(path: string): boolean {
  const segments = path.split("/");
  return (
    segments.length <= MAX_DEPTH &&
    segments.every((s) => SEGMENT.test(s) && s !== "." && s !== "..")
  );
}
