/**
 * The rules for the names and numbers a client, a notebook or a folder chooses: model
 * names, version labels and version numbers. Every part checks them with these functions
 * and reports them with these texts, so a name one part accepts, every part accepts.
 *
 * A name is data: whatever it is ("__proto__", "constructor"...), it is never used as
 * the key of a plain object (see `own` below, and keep such names in a `Map`).
 */

/** Letters, digits, `_ . -`; not starting with `.` or `-`; safe as a folder and in a URL. */
const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** Letters, digits and `_`. */
const LABEL = /^[A-Za-z0-9_]{1,255}$/;

/** Decimal digits only (leading zeros allowed, as TF Serving's test models name theirs). */
const VERSION = /^\d{1,18}$/;

export function isModelName(name: unknown): name is string {
  return typeof name === "string" && MODEL_NAME.test(name) && !name.includes("..");
}

/** Why a model name is refused, or undefined when it is a good one. */
export function modelNameProblem(name: unknown): string | undefined {
  if (isModelName(name)) return undefined;
  return `Invalid model name ${JSON.stringify(name)}: use letters, digits, _ . - (not starting with . or -, at most 255 characters)`;
}

export function isLabel(label: unknown): label is string {
  return typeof label === "string" && LABEL.test(label);
}

/** Why a version label is refused, or undefined when it is a good one. */
export function labelProblem(label: unknown): string | undefined {
  if (isLabel(label)) return undefined;
  return `Invalid label ${JSON.stringify(label)}: labels are made of letters, digits and _`;
}

/**
 * A version number written as text (a folder name, a URL segment, a query parameter):
 * decimal digits whose value is a safe integer, else undefined. One limit everywhere, so a
 * version the server serves can always be named back to it.
 */
export function parseVersion(text: string): number | undefined {
  if (!VERSION.test(text)) return undefined;
  const version = Number(text);
  return Number.isSafeInteger(version) ? version : undefined;
}

/** A version number given as a JSON value: a non-negative safe integer, or its digits. */
export function versionFromJson(value: unknown): number | undefined {
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === "string") return parseVersion(value);
  return undefined;
}

/**
 * The value a plain object (parsed JSON, a decoded message) holds under `key` as its own
 * property, never one it inherits: `own({}, "constructor")` is undefined.
 */
export function own<T>(
  record: Readonly<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key)
    ? record[key]
    : undefined;
}
