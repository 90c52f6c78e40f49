/**
 * Protocol buffers' text format (what TF Serving's config files are written in:
 * ModelServerConfig, BatchingParameters, MonitoringConfig), parsed into a tree of
 * fields without a schema; each config module reads the fields it knows. protobufjs
 * reads only the binary and JSON forms, hence this small parser.
 *
 *   model_config_list { config { name: "m" base_path: "/models/m"
 *     model_version_policy { specific { versions: 1 versions: 2 } }
 *     version_labels { key: "stable" value: 1 } } }
 */
export type TextValue = string | number | boolean | TextMessage;

/** A message: every field name with its values in order (repeated fields have several). */
export type TextMessage = Map<string, TextValue[]>;

export class TextFormatError extends Error {
  constructor(message: string, line: number, column: number) {
    super(`${line}:${column}: ${message}`);
  }
}

interface Token {
  kind: "ident" | "string" | "number" | "symbol";
  text: string;
  value?: string | number;
  line: number;
  column: number;
}

export function parseTextFormat(text: string): TextMessage {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (message: string, token = peek()): never => {
    const end = tokens[tokens.length - 1];
    throw new TextFormatError(
      message,
      token?.line ?? end?.line ?? 1,
      token?.column ?? end?.column ?? 1,
    );
  };
  const parseMessage = (close: string | undefined): TextMessage => {
    const message: TextMessage = new Map();
    for (;;) {
      const token = peek();
      if (!token) {
        if (close) fail(`Expected "${close}".`);
        return message;
      }
      if (close && token.text === close) {
        pos++;
        return message;
      }
      if (token.kind !== "ident") fail(`Expected identifier, got: ${token.text}`);
      pos++;
      const name = token.text;
      let value: TextValue;
      const next = peek();
      if (next?.text === ":") {
        pos++;
        const after = peek();
        if (after?.text === "{" || after?.text === "<") {
          pos++;
          value = parseMessage(after.text === "{" ? "}" : ">");
        } else if (after?.text === "[") {
          pos++;
          const list: TextValue[] = [];
          while (peek()?.text !== "]") {
            list.push(parseScalar());
            if (peek()?.text === ",") pos++;
          }
          pos++;
          for (const item of list) append(message, name, item);
          skipSeparator();
          continue;
        } else {
          value = parseScalar();
        }
      } else if (next?.text === "{" || next?.text === "<") {
        pos++;
        value = parseMessage(next.text === "{" ? "}" : ">");
      } else {
        return fail(`Expected ":" or "{" after ${name}.`, next);
      }
      append(message, name, value);
      skipSeparator();
    }
  };

  const parseScalar = (): string | number | boolean => {
    const token = peek();
    if (!token) return fail("Expected a value.");
    pos++;
    if (token.kind === "string") {
      let value = token.value as string;
      // Adjacent string literals concatenate.
      while (peek()?.kind === "string") value += tokens[pos++]!.value as string;
      return value;
    }
    if (token.kind === "number") return token.value as number;
    if (token.text === "-" && peek()?.kind === "number") {
      const number = peek()!;
      pos++;
      return -(number.value as number);
    }
    if (token.kind === "ident") {
      if (token.text === "true" || token.text === "True" || token.text === "t") return true;
      if (token.text === "false" || token.text === "False" || token.text === "f") return false;
      return token.text;
    }
    return fail(`Expected a value, got: ${token.text}`, token);
  };

  const skipSeparator = (): void => {
    const token = peek();
    if (token?.text === "," || token?.text === ";") pos++;
  };

  return parseMessage(undefined);
}

function append(message: TextMessage, name: string, value: TextValue): void {
  const values = message.get(name);
  if (values) values.push(value);
  else message.set(name, [value]);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const column = i - lineStart + 1;
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "ident", text: match, line, column });
      i += match.length;
    } else if (/[0-9.]/.test(c) && /^\.?[0-9]/.test(text.slice(i, i + 2))) {
      const match = /^(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[fF]?)/.exec(
        text.slice(i),
      )![0];
      // A float's "f" suffix goes; a hex literal's last digit may be an F.
      const literal = /^0[xX]/.test(match) ? match : match.replace(/[fF]$/, "");
      tokens.push({ kind: "number", text: match, value: Number(literal), line, column });
      i += match.length;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\n")
          throw new TextFormatError("String literals cannot cross line boundaries.", line, column);
        if (text[j] === "\\") {
          const e = text[j + 1];
          const escapes: Record<string, string> = {
            n: "\n",
            t: "\t",
            r: "\r",
            "\\": "\\",
            '"': '"',
            "'": "'",
          };
          value += e !== undefined && e in escapes ? escapes[e] : (e ?? "");
          j += 2;
        } else {
          value += text[j];
          j++;
        }
      }
      if (j >= text.length) throw new TextFormatError("Unterminated string literal.", line, column);
      tokens.push({ kind: "string", text: text.slice(i, j + 1), value, line, column });
      i = j + 1;
    } else if ("{}<>[]:,;-".includes(c)) {
      tokens.push({ kind: "symbol", text: c, line, column });
      i++;
    } else {
      throw new TextFormatError(`Unexpected character "${c}".`, line, column);
    }
  }
  return tokens;
}

/** Reads fields of a parsed message, with typed accessors that name the field on error. */
export class TextFields {
  constructor(
    private readonly fields: TextMessage,
    private readonly where: string,
  ) {}

  has(name: string): boolean {
    return this.fields.has(name);
  }

  names(): string[] {
    return [...this.fields.keys()];
  }

  string(name: string): string | undefined {
    const value = this.#last(name);
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw this.#error(name, "a string");
    return value;
  }

  number(name: string): number | undefined {
    const value = this.#last(name);
    if (value === undefined) return undefined;
    if (typeof value !== "number") throw this.#error(name, "a number");
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#last(name);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw this.#error(name, "true or false");
    return value;
  }

  /** A google.protobuf wrapper field (`max_batch_size { value: 128 }`) or a plain number. */
  wrappedNumber(name: string): number | undefined {
    const value = this.#last(name);
    if (value === undefined || typeof value === "number") return value;
    if (value instanceof Map) return new TextFields(value, `${this.where}.${name}`).number("value");
    throw this.#error(name, "a number");
  }

  numbers(name: string): number[] {
    return (this.fields.get(name) ?? []).map((value) => {
      if (typeof value !== "number") throw this.#error(name, "numbers");
      return value;
    });
  }

  message(name: string): TextFields | undefined {
    return this.messages(name).at(-1);
  }

  messages(name: string): TextFields[] {
    return (this.fields.get(name) ?? []).map((value) => {
      if (!(value instanceof Map)) throw this.#error(name, "a message");
      return new TextFields(value, `${this.where}.${name}`);
    });
  }

  /** Fails on a field this reader does not know. */
  allowOnly(names: readonly string[]): void {
    for (const name of this.fields.keys()) {
      if (!names.includes(name)) throw new Error(`${this.where}: unknown field "${name}"`);
    }
  }

  #last(name: string): TextValue | undefined {
    return this.fields.get(name)?.at(-1);
  }

  #error(name: string, expected: string): Error {
    return new Error(`${this.where}.${name} must be ${expected}`);
  }
}
