/**
 * The JSON parser of the REST API, written for TF Serving's behaviour where JSON.parse
 * differs from rapidjson (which TF Serving parses with): `NaN`, `Infinity` and
 * `-Infinity` are numbers; parsing stops after the first complete value (trailing bytes
 * are ignored); errors read "<rapidjson message> at offset: <n>"; and a number remembers
 * whether it was written as an integer or as a double, since `1` and `1.0` are
 * different types to TF Serving (an int feature or a float feature; an int32 input
 * accepts only the first).
 *
 * Values: null, booleans, strings, arrays, plain objects, and numbers:
 * - an integer literal is a `number`, or a `bigint` beyond 2^53 (int64/uint64 exact);
 * - a double literal is a `number`, boxed as `IntegralDouble` when its value is whole
 *   (so `2.0` stays a double). `jsonNumberKind` tells them apart.
 */
export type JsonValue =
  null | boolean | number | bigint | IntegralDouble | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

/** A number written with a fraction or exponent whose value is whole ("2.0", "1e3"). */
export class IntegralDouble {
  constructor(readonly value: number) {}
}

export type JsonNumberKind = "int" | "double";

/** "int" for an integer literal, "double" for one with a fraction or exponent. */
export function jsonNumberKind(value: number | bigint | IntegralDouble): JsonNumberKind {
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "double";
  return "double";
}

export function isJsonNumber(value: JsonValue): value is number | bigint | IntegralDouble {
  return typeof value === "number" || typeof value === "bigint" || value instanceof IntegralDouble;
}

/** The numeric value of a JSON number (a bigint beyond 2^53 is rounded). */
export function jsonNumberValue(value: number | bigint | IntegralDouble): number {
  return typeof value === "number"
    ? value
    : typeof value === "bigint"
      ? Number(value)
      : value.value;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof IntegralDouble)
  );
}

export class JsonParseError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at offset: ${offset}`);
  }
}

const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

/** Parses the first JSON value of `text`. @throws JsonParseError */
export function parseJson(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

/** Deepest nesting of arrays and objects the parser reads (rapidjson has no limit). */
export const MAX_NESTING = 512;

class Parser {
  #pos = 0;
  #depth = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    this.#skipWhitespace();
    if (this.#pos >= this.text.length) this.#fail("The document is empty.");
    return this.#value();
  }

  #value(): JsonValue {
    const c = this.text.charCodeAt(this.#pos);
    switch (c) {
      case 0x7b /* { */:
      case 0x5b /* [ */: {
        // A tensor has at most 254 dimensions; deeper nesting would only exhaust the stack.
        if (++this.#depth > MAX_NESTING) this.#fail(`Nesting deeper than ${MAX_NESTING} levels.`);
        const container = c === 0x7b ? this.#object() : this.#array();
        this.#depth--;
        return container;
      }
      case 0x22 /* " */:
        return this.#string();
      case 0x74 /* t */:
        return this.#literal("true", true);
      case 0x66 /* f */:
        return this.#literal("false", false);
      case 0x6e /* n */:
        return this.#literal("null", null);
      default:
        if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39) || c === 0x4e || c === 0x49) {
          return this.#number();
        }
        return this.#fail("Invalid value.");
    }
  }

  #object(): JsonObject {
    this.#pos++;
    // No prototype: a "__proto__" key is data like any other.
    const object = Object.create(null) as JsonObject;
    this.#skipWhitespace();
    if (this.text.charCodeAt(this.#pos) === 0x7d /* } */) {
      this.#pos++;
      return object;
    }
    for (;;) {
      if (this.text.charCodeAt(this.#pos) !== 0x22) this.#fail("Missing a name for object member.");
      const key = this.#string();
      this.#skipWhitespace();
      if (this.text.charCodeAt(this.#pos) !== 0x3a /* : */) {
        this.#fail("Missing a colon after a name of object member.");
      }
      this.#pos++;
      this.#skipWhitespace();
      const value = this.#value();
      // rapidjson finds the first of duplicate keys.
      if (!(key in object)) object[key] = value;
      this.#skipWhitespace();
      const c = this.text.charCodeAt(this.#pos);
      this.#pos++;
      if (c === 0x2c /* , */) {
        this.#skipWhitespace();
      } else if (c === 0x7d /* } */) {
        return object;
      } else {
        this.#pos--;
        this.#fail("Missing a comma or '}' after an object member.");
      }
    }
  }

  #array(): JsonValue[] {
    this.#pos++;
    const array: JsonValue[] = [];
    this.#skipWhitespace();
    if (this.text.charCodeAt(this.#pos) === 0x5d /* ] */) {
      this.#pos++;
      return array;
    }
    for (;;) {
      array.push(this.#value());
      this.#skipWhitespace();
      const c = this.text.charCodeAt(this.#pos);
      this.#pos++;
      if (c === 0x2c /* , */) {
        this.#skipWhitespace();
      } else if (c === 0x5d /* ] */) {
        return array;
      } else {
        this.#pos--;
        this.#fail("Missing a comma or ']' after an array element.");
      }
    }
  }

  #string(): string {
    const text = this.text;
    const start = ++this.#pos;
    // Fast path: no escapes.
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.#pos = i + 1;
        return text.slice(start, i);
      }
      if (c === 0x5c /* \ */) break;
      if (c < 0x20) {
        this.#pos = i;
        this.#fail("Invalid encoding in string.");
      }
    }
    let out = "";
    let i = start;
    for (;;) {
      if (i >= text.length) {
        this.#pos = i;
        this.#fail("Missing a closing quotation mark in string.");
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.#pos = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.#pos = i;
        this.#fail("Invalid encoding in string.");
      }
      if (c !== 0x5c) {
        out += text[i];
        i++;
        continue;
      }
      // rapidjson reports every bad escape at its backslash.
      const escapeAt = i;
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const code = this.#hex4(i, escapeAt);
          i += 4;
          if (code >= 0xd800 && code <= 0xdbff) {
            if (text[i] !== "\\" || text[i + 1] !== "u") {
              this.#pos = escapeAt;
              this.#fail("The surrogate pair in string is invalid.");
            }
            const low = this.#hex4(i + 2, escapeAt);
            if (low < 0xdc00 || low > 0xdfff) {
              this.#pos = escapeAt;
              this.#fail("The surrogate pair in string is invalid.");
            }
            out += String.fromCharCode(code, low);
            i += 6;
          } else {
            out += String.fromCharCode(code);
          }
          break;
        }
        default:
          this.#pos = escapeAt;
          this.#fail("Invalid escape character in string.");
      }
    }
  }

  #hex4(at: number, escapeAt: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) {
      this.#pos = escapeAt;
      this.#fail("Incorrect hex digit after \\u escape in string.");
    }
    return parseInt(digits, 16);
  }

  #number(): number | bigint | IntegralDouble {
    const text = this.text;
    const start = this.#pos;
    let i = start;
    let negative = false;
    if (text.charCodeAt(i) === 0x2d) {
      negative = true;
      i++;
    }
    const first = text.charCodeAt(i);
    if (first === 0x4e /* N */ || first === 0x49 /* I */) return this.#nanOrInfinity(i, negative);
    const intStart = i;
    // The digits as one integer while it stays exact: most numbers need no slice of the text.
    let mantissa = 0;
    if (first === 0x30) {
      i++;
    } else if (isDigit(first)) {
      for (let c = first; isDigit(c); c = text.charCodeAt(++i)) mantissa = mantissa * 10 + c - 0x30;
    } else {
      this.#pos = i;
      this.#fail("Invalid value.");
    }
    let isDouble = false;
    let fractionDigits = 0;
    if (text.charCodeAt(i) === 0x2e /* . */) {
      isDouble = true;
      i++;
      if (!isDigit(text.charCodeAt(i))) {
        this.#pos = i;
        this.#fail("Miss fraction part in number.");
      }
      for (let c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) {
        mantissa = mantissa * 10 + c - 0x30;
        fractionDigits++;
      }
    }
    let exponent = 0;
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      isDouble = true;
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) {
        this.#pos = i;
        this.#fail("Miss exponent in number.");
      }
      for (let c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) {
        if (exponent < 100_000) exponent = exponent * 10 + c - 0x30;
      }
      if (sign === 0x2d) exponent = -exponent;
    }
    this.#pos = i;
    if (!isDouble) {
      if (i - intStart < 16) return negative ? -mantissa : mantissa;
      const literal = text.slice(start, i);
      const big = BigInt(literal);
      if (big >= -INT64_MAX - 1n && big <= UINT64_MAX) {
        return Number.isSafeInteger(Number(literal)) ? Number(literal) : big;
      }
    }
    // Clinger's fast path: an exact integer times or over an exact power of ten rounds
    // once, so it is the double the literal names; anything else takes the slow path.
    const scale = exponent - fractionDigits;
    let value: number;
    if (mantissa <= MAX_EXACT && scale >= -22 && scale <= 22) {
      value = scale < 0 ? mantissa / POWERS_OF_TEN[-scale]! : mantissa * POWERS_OF_TEN[scale]!;
      if (negative) value = -value;
    } else {
      value = Number(text.slice(start, i));
    }
    if (!Number.isFinite(value)) {
      this.#pos = start;
      this.#fail("Number too big to be stored in double.");
    }
    return Number.isInteger(value) ? new IntegralDouble(value) : value;
  }

  /** rapidjson reports a bad literal where its match stopped ("tru" fails at offset 3). */
  #literal<T>(word: string, value: T): T {
    const matched = this.#matched(word, this.#pos);
    this.#pos += matched;
    if (matched < word.length) this.#fail("Invalid value.");
    return value;
  }

  /**
   * NaN and infinities as rapidjson's kParseNanAndInfFlag reads them: "NaN", "Inf" and
   * "Infinity", each with an optional minus.
   */
  #nanOrInfinity(at: number, negative: boolean): number {
    if (this.text.charCodeAt(at) === 0x4e /* N */) {
      const matched = this.#matched("NaN", at);
      this.#pos = at + matched;
      if (matched < 3) this.#fail("Invalid value.");
      return NaN;
    }
    const matched = this.#matched("Infinity", at);
    if (matched < 3) {
      this.#pos = at + matched;
      this.#fail("Invalid value.");
    }
    // "Inf" alone is infinity; once an "i" follows, all of "Infinity" must.
    const whole = matched === 8 || this.text.charCodeAt(at + 3) !== 0x69; /* i */
    this.#pos = at + (matched === 8 ? 8 : whole ? 3 : matched);
    if (!whole) this.#fail("Invalid value.");
    return negative ? -Infinity : Infinity;
  }

  /** How many characters of `word` the text holds from `at` on. */
  #matched(word: string, at: number): number {
    let k = 0;
    while (k < word.length && this.text.charCodeAt(at + k) === word.charCodeAt(k)) k++;
    return k;
  }

  #skipWhitespace(): void {
    const text = this.text;
    let i = this.#pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.#pos = i;
  }

  #fail(reason: string): never {
    throw new JsonParseError(reason, this.#pos);
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Integers up to 2^53 are exact doubles. */
const MAX_EXACT = 2 ** 53;
/** 10^0 ... 10^22: every one an exact double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
