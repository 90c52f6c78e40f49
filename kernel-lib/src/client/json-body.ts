/**
 * Writes a request body as JSON, with non-finite numbers as the bare tokens NaN,
 * Infinity and -Infinity that TF Serving reads (JSON.stringify would write null, which
 * the server refuses): a missing value in an XGBoost model's input is a NaN.
 */
export function stringifyForServer(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? MARK + String(v) : v,
  );
  return text.replace(/"\\u0000(NaN|-?Infinity)"/g, "$1");
}

/**
 * Parses the server's JSON answers. TF Serving prints non-finite floats as the bare
 * tokens NaN, Infinity and -Infinity, which JSON.parse refuses: they come back here as
 * the numbers they stand for.
 */
const NON_FINITE = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g;
const MARK = "\u0000";

export function parseServerJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  const marked = text.replace(NON_FINITE, (match, token: string | undefined) =>
    token === undefined ? match : JSON.stringify(MARK + token),
  );
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === "string" && value.startsWith(MARK) ? Number(value.slice(1)) : value,
  );
}
