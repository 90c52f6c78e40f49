import * as protobuf from "protobufjs";
import { messageType, type MessageTypes } from "@servable/protocol";

/**
 * Prints a message (in decodeMessage's plain-object form) in protobuf's text format, as
 * TensorFlow writes `saved_model.pbtxt`: bytes with octal escapes, enums by name, maps
 * as `key`/`value` entries. Used to write text-format SavedModels for tests.
 */
export function printTextMessage<K extends keyof MessageTypes>(
  name: K,
  value: MessageTypes[K],
): string {
  return printMessage(messageType(name), value as Record<string, unknown>, "");
}

function printMessage(type: protobuf.Type, value: Record<string, unknown>, indent: string): string {
  let out = "";
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = type.fields[name]?.resolve();
    if (!field || fieldValue === undefined) continue;
    if (field.map) {
      for (const [key, entry] of Object.entries(fieldValue as Record<string, unknown>)) {
        const keyText =
          (field as unknown as protobuf.MapField).keyType === "string" ? quote(key) : key;
        out += `${indent}${name} {\n${indent}  key: ${keyText}\n`;
        out += printValue(field, "value", entry, `${indent}  `);
        out += `${indent}}\n`;
      }
    } else {
      const list = field.repeated ? (fieldValue as unknown[]) : [fieldValue];
      for (const item of list) out += printValue(field, name, item, indent);
    }
  }
  return out;
}

function printValue(field: protobuf.Field, name: string, value: unknown, indent: string): string {
  if (field.resolvedType instanceof protobuf.Type) {
    return `${indent}${name} {\n${printMessage(field.resolvedType, value as Record<string, unknown>, `${indent}  `)}${indent}}\n`;
  }
  if (value instanceof Uint8Array) return `${indent}${name}: ${quote(value)}\n`;
  if (typeof value === "string" && !(field.resolvedType instanceof protobuf.Enum)) {
    return `${indent}${name}: ${/int64|fixed64/.test(field.type) ? value : quote(value)}\n`;
  }
  return `${indent}${name}: ${String(value)}\n`;
}

function quote(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}
