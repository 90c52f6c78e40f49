import type { SignatureDef, TensorInfo } from "@servable/protocol";

/**
 * A SignatureDef as protobuf's `DebugString()` prints it (text format, two-space indent,
 * fields in field-number order, map entries sorted by key, proto3 defaults left out,
 * strings C-escaped byte by byte): TF Serving's classifier.cc and regressor.cc quote the
 * signature this way in their errors.
 */
export function signatureDebugString(signature: SignatureDef): string {
  const lines: string[] = [];
  const tensorMap = (field: string, map: Record<string, TensorInfo>) => {
    for (const key of Object.keys(map).sort(byBytes)) {
      lines.push(`${field} {`, `  key: ${quoted(key)}`, "  value {");
      tensorInfo(map[key]!, "    ", lines);
      lines.push("  }", "}");
    }
  };
  tensorMap("inputs", signature.inputs);
  tensorMap("outputs", signature.outputs);
  if (signature.method_name) lines.push(`method_name: ${quoted(signature.method_name)}`);
  return lines.map((line) => `${line}\n`).join("");
}

function tensorInfo(info: TensorInfo, indent: string, lines: string[]): void {
  if (info.name) lines.push(`${indent}name: ${quoted(info.name)}`);
  if (info.dtype) lines.push(`${indent}dtype: ${info.dtype}`);
  const shape = info.tensor_shape;
  if (!shape || (shape.dim.length === 0 && !shape.unknown_rank)) return;
  lines.push(`${indent}tensor_shape {`);
  for (const dim of shape.dim) {
    lines.push(`${indent}  dim {`);
    if (Number(dim.size) !== 0) lines.push(`${indent}    size: ${dim.size}`);
    if (dim.name) lines.push(`${indent}    name: ${quoted(dim.name)}`);
    lines.push(`${indent}  }`);
  }
  if (shape.unknown_rank) lines.push(`${indent}  unknown_rank: true`);
  lines.push(`${indent}}`);
}

const ESCAPES: Readonly<Record<number, string>> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0d: "\\r",
  0x22: '\\"',
  0x27: "\\'",
  0x5c: "\\\\",
};

/** protobuf's CEscape: printable ASCII as is, the rest as three-digit octal per byte. */
function quoted(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    const escape = ESCAPES[byte];
    if (escape) out += escape;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

/** std::map<std::string> order: byte-wise. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
