/**
 * Numbers printed as TF Serving prints them (`WriteDecimal` in json_tensor.cc): six
 * significant digits like printf's %g, more (9 for float, 17 for double) only when six
 * do not read back as the same value; ".0" added to whole numbers that have neither a
 * point nor an exponent; NaN and infinities as the bare tokens NaN, Infinity, -Infinity.
 */
export function formatFloat32(value: number): string {
  // Most model outputs sit where %g prints fixed notation: toPrecision does that in one call.
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e6) {
    // Shortest form with at most 6 significant digits: it is what %g prints.
    const shortest = String(value);
    if (shortest.length <= 7) return shortest.includes(".") ? shortest : `${shortest}.0`;
    let text = stripZeros(value.toPrecision(6));
    if (Math.fround(Number(text)) !== value) text = stripZeros(value.toPrecision(9));
    // toPrecision(9) turns exponential only at 1e9 and beyond, so this is %.9g here.
    return text.includes(".") || text.includes("e") ? text : `${text}.0`;
  }
  return formatDecimal(value, (text) => Math.fround(Number(text)) === value, 9);
}

export function formatFloat64(value: number): string {
  return formatDecimal(value, (text) => Number(text) === value, 17);
}

function formatDecimal(
  value: number,
  roundTrips: (text: string) => boolean,
  maxDigits: number,
): string {
  if (!Number.isFinite(value))
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  let text = formatG(value, 6);
  if (!roundTrips(text)) text = formatG(value, maxDigits);
  return text.includes(".") || text.includes("e") ? text : `${text}.0`;
}

/** C's printf("%.<precision>g", value) for a finite value. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const exponential = value.toExponential(precision - 1);
  const e = exponential.indexOf("e");
  const exponent = Number(exponential.slice(e + 1));
  if (exponent < -4 || exponent >= precision) {
    const mantissa = stripZeros(exponential.slice(0, e));
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(precision - 1 - exponent));
}

function stripZeros(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  if (text.charCodeAt(end - 1) === 0x2e) end--;
  return text.slice(0, end);
}
