import * as protobuf from "protobufjs";
import { messageType, type MessageTypes } from "./tensorflow-protos";

/**
 * Protocol buffers' text format, read against a message's schema into the plain objects
 * protobufjs's toObject gives (enums as names, int64 as decimal strings): what a
 * `saved_model.pbtxt` holds, and TF Serving's config files (ModelServerConfig,
 * BatchingParameters, MonitoringConfig). protobufjs reads only the binary and JSON forms,
 * hence this parser. Strings are byte strings with C escapes (octal, hex);
 * `google.protobuf.Any` may be written expanded (`[type.googleapis.com/pkg.X] {...}`).
 */
export class TextFormatError extends Error {}

type Token =
  | { kind: "ident" | "symbol"; text: string; line: number }
  | { kind: "number"; text: string; line: number }
  | { kind: "string"; bytes: Uint8Array; text: string; line: number };

/** A TensorFlow message (SavedModel...) from its text form. @throws TextFormatError */
export function parseTextMessage<K extends keyof MessageTypes>(
  name: K,
  text: string,
): MessageTypes[K] {
  return parseTextProto(messageType(name), text) as unknown as MessageTypes[K];
}

/** Any message of a protobufjs schema from its text form. @throws TextFormatError */
export function parseTextProto(type: protobuf.Type, text: string): Record<string, unknown> {
  return new Parser(tokenize(text)).message(type, undefined);
}

type Value = string | number | boolean | Uint8Array | Obj;
interface Obj {
  [field: string]: Value | Value[] | Record<string, Value>;
}

class Parser {
  #pos = 0;
  constructor(private readonly tokens: Token[]) {}

  #peek(): Token | undefined {
    return this.tokens[this.#pos];
  }

  #next(): Token {
    const token = this.tokens[this.#pos++];
    if (!token) throw new TextFormatError("unexpected end of input");
    return token;
  }

  #fail(message: string, token = this.#peek()): never {
    throw new TextFormatError(`line ${token?.line ?? "end"}: ${message}`);
  }

  #accept(symbol: string): boolean {
    const token = this.#peek();
    if (token?.kind === "symbol" && token.text === symbol) {
      this.#pos++;
      return true;
    }
    return false;
  }

  message(type: protobuf.Type, close: string | undefined): Obj {
    const out: Obj = {};
    for (;;) {
      const token = this.#peek();
      if (!token) {
        if (close) this.#fail(`expected "${close}"`);
        return out;
      }
      if (close && token.kind === "symbol" && token.text === close) {
        this.#pos++;
        return out;
      }
      if (token.kind === "symbol" && token.text === "[") {
        this.#anyExpansion(type, out);
      } else {
        if (token.kind !== "ident") this.#fail(`expected a field name, got ${token.text}`);
        this.#pos++;
        const field = type.fields[token.text];
        if (!field) this.#fail(`${type.name} has no field ${token.text}`, token);
        this.#field(field.resolve(), out);
      }
      this.#separator();
    }
  }

  #field(field: protobuf.Field, out: Obj): void {
    const isMessage = field.resolvedType instanceof protobuf.Type;
    if (field.map) {
      this.#accept(":");
      const [key, value] = this.#mapEntry(field as unknown as protobuf.MapField);
      ((out[field.name] ??= {}) as Record<string, Value>)[key] = value;
      return;
    }
    if (isMessage) this.#accept(":");
    else if (!this.#accept(":")) this.#fail(`expected ":" after ${field.name}`);
    const read = (): Value =>
      isMessage
        ? this.#openMessage(field.resolvedType as protobuf.Type)
        : this.#scalar(field.name, field.type, field.resolvedType);
    if (field.repeated) {
      const list = (out[field.name] ??= []) as Value[];
      if (this.#accept("[")) {
        while (!this.#accept("]")) {
          list.push(read());
          this.#accept(",");
        }
      } else {
        list.push(read());
      }
    } else {
      out[field.name] = read();
    }
  }

  /** Fields may be followed by "," or ";". */
  #separator(): void {
    if (!this.#accept(",")) this.#accept(";");
  }

  #openMessage(type: protobuf.Type): Obj {
    if (this.#accept("{")) return this.message(type, "}");
    if (this.#accept("<")) return this.message(type, ">");
    return this.#fail(`expected "{" to open a ${type.name}`);
  }

  /** `{ key: k value: v }`, one entry of a map field. */
  #mapEntry(field: protobuf.MapField): [string, Value] {
    const close = this.#accept("{") ? "}" : this.#accept("<") ? ">" : this.#fail("expected {");
    const valueType = field.resolvedType;
    let key: Value = "";
    let value: Value | undefined;
    while (!this.#accept(close)) {
      const name = this.#next();
      if (name.text === "key") {
        this.#accept(":");
        key = this.#scalar(`${field.name}.key`, field.keyType, null);
      } else if (name.text === "value") {
        if (valueType instanceof protobuf.Type) {
          this.#accept(":");
          value = this.#openMessage(valueType);
        } else {
          this.#accept(":");
          value = this.#scalar(`${field.name}.value`, field.type, valueType);
        }
      } else {
        this.#fail(`a map entry has only key and value, not ${name.text}`, name);
      }
      this.#separator();
    }
    const empty = valueType instanceof protobuf.Type ? {} : "";
    return [
      key instanceof Uint8Array ? new TextDecoder().decode(key) : String(key),
      value ?? empty,
    ];
  }

  /** `[type.googleapis.com/tensorflow.X] { ... }` inside a google.protobuf.Any. */
  #anyExpansion(type: protobuf.Type, out: Obj): void {
    if (!type.fields.type_url || !type.fields.value) this.#fail(`${type.name} is not an Any`);
    this.#next();
    let url = "";
    while (!this.#accept("]")) url += this.#next().text;
    const inner = type.root.lookupType(url.slice(url.lastIndexOf("/") + 1));
    this.#accept(":");
    const value = this.#openMessage(inner);
    out.type_url = url;
    out.value = inner.encode(inner.fromObject(value)).finish();
  }

  #scalar(name: string, type: string, resolved: protobuf.ReflectionObject | null): Value {
    const token = this.#next();
    if (resolved instanceof protobuf.Enum) {
      if (token.kind === "ident") return token.text;
      const number = Number(this.#signedNumber(token));
      return resolved.valuesById[number] ?? number;
    }
    switch (type) {
      case "string":
      case "bytes": {
        if (token.kind !== "string") this.#fail(`${name} needs a string`, token);
        let bytes = token.bytes;
        while (this.#peek()?.kind === "string") {
          const more = (this.#next() as { bytes: Uint8Array }).bytes;
          const joined = new Uint8Array(bytes.length + more.length);
          joined.set(bytes);
          joined.set(more, bytes.length);
          bytes = joined;
        }
        return type === "string" ? new TextDecoder().decode(bytes) : bytes;
      }
      case "bool":
        if (["true", "True", "t", "1"].includes(token.text)) return true;
        if (["false", "False", "f", "0"].includes(token.text)) return false;
        return this.#fail(`${name} needs true or false`, token);
      case "int64":
      case "uint64":
      case "sint64":
      case "fixed64":
      case "sfixed64":
        return BigInt(this.#signedNumber(token)).toString();
      case "float":
      case "double": {
        const text = this.#signedNumber(token).replace(/[fF]$/, "");
        if (/^-?inf(inity)?$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
        if (/^nan$/i.test(text)) return NaN;
        return Number(text);
      }
      default:
        return Number(this.#signedNumber(token));
    }
  }

  #signedNumber(token: Token): string {
    if (token.kind === "symbol" && token.text === "-") return `-${this.#next().text}`;
    return token.text;
  }
}

const ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
  "?": 63,
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const encoder = new TextEncoder();
  let line = 1;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      const bytes: number[] = [];
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\n") throw new TextFormatError(`line ${line}: unterminated string`);
        if (text[j] !== "\\") {
          const cp = text.codePointAt(j)!;
          const char = String.fromCodePoint(cp);
          bytes.push(...encoder.encode(char));
          j += char.length;
          continue;
        }
        const e = text[j + 1] ?? "";
        const octal = /^[0-7]{1,3}/.exec(text.slice(j + 1, j + 4));
        const hex = /^[xX]([0-9a-fA-F]{1,2})/.exec(text.slice(j + 1, j + 4));
        if (octal) {
          bytes.push(parseInt(octal[0], 8) & 0xff);
          j += 1 + octal[0].length;
        } else if (hex) {
          bytes.push(parseInt(hex[1]!, 16));
          j += 1 + hex[0].length;
        } else if (e === "u" || e === "U") {
          const digits = e === "u" ? 4 : 8;
          bytes.push(
            ...encoder.encode(
              String.fromCodePoint(parseInt(text.slice(j + 2, j + 2 + digits), 16)),
            ),
          );
          j += 2 + digits;
        } else if (e in ESCAPES) {
          bytes.push(ESCAPES[e]!);
          j += 2;
        } else {
          throw new TextFormatError(`line ${line}: unknown escape \\${e}`);
        }
      }
      if (j >= text.length) throw new TextFormatError(`line ${line}: unterminated string`);
      tokens.push({
        kind: "string",
        bytes: Uint8Array.from(bytes),
        text: text.slice(i, j + 1),
        line,
      });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "ident", text: word, line });
      i += word.length;
    } else if (/[0-9.]/.test(c)) {
      const number = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[fF]?)/.exec(
        text.slice(i),
      );
      if (!number) throw new TextFormatError(`line ${line}: bad number`);
      tokens.push({ kind: "number", text: number[0], line });
      i += number[0].length;
    } else if ("{}<>[]:,;-/".includes(c)) {
      tokens.push({ kind: "symbol", text: c, line });
      i++;
    } else {
      throw new TextFormatError(`line ${line}: unexpected character "${c}"`);
    }
  }
  return tokens;
}
