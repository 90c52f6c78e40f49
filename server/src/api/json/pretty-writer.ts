/**
 * Writes JSON laid out exactly as rapidjson's PrettyWriter lays it out (4-space indent;
 * arrays on one line while `singleLineArrays` is on), which is what TF Serving's
 * responses look like byte for byte. Values are written raw: the caller formats numbers
 * (float-format.ts) and quotes strings (`quote`).
 */
export class PrettyWriter {
  #out = "";
  /** One entry per open container: whether it is an array, and values written so far. */
  readonly #levels: { inArray: boolean; count: number }[] = [];
  singleLineArrays = false;

  startObject(): this {
    return this.#open("{", false);
  }

  endObject(): this {
    return this.#close("}", true);
  }

  startArray(): this {
    return this.#open("[", true);
  }

  endArray(): this {
    return this.#close("]", !this.singleLineArrays);
  }

  key(name: string): this {
    return this.raw(quote(name));
  }

  /** Writes one already formatted value (or key). */
  raw(text: string): this {
    this.#prefix();
    this.#out += text;
    return this;
  }

  toString(): string {
    return this.#out;
  }

  #open(bracket: "{" | "[", inArray: boolean): this {
    this.#prefix();
    this.#out += bracket;
    this.#levels.push({ inArray, count: 0 });
    return this;
  }

  /** A container with values closes on its own line unless it is laid out on one line. */
  #close(bracket: "}" | "]", ownLine: boolean): this {
    const level = this.#levels.pop()!;
    if (level.count > 0 && ownLine) this.#out += `\n${this.#indent()}`;
    this.#out += bracket;
    return this;
  }

  #prefix(): void {
    const level = this.#levels[this.#levels.length - 1];
    if (!level) return;
    if (level.inArray) {
      if (level.count > 0) this.#out += this.singleLineArrays ? ", " : ",";
      if (!this.singleLineArrays) this.#out += `\n${this.#indent()}`;
    } else if (level.count > 0) {
      this.#out += level.count % 2 === 0 ? `,\n${this.#indent()}` : ": ";
    } else {
      this.#out += `\n${this.#indent()}`;
    }
    level.count++;
  }

  #indent(): string {
    return " ".repeat(4 * this.#levels.length);
  }
}

/** A JSON string literal. */
export const quote = (text: string): string => JSON.stringify(text);
