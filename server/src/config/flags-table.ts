import { FLAGS } from "./flags";

const START = "<!-- flags:start -->";
const END = "<!-- flags:end -->";

/** The flags as a Markdown table: name, default, meaning (Servable's own marked *). */
export function flagsTable(): string {
  const rows = FLAGS.map((flag) => {
    const mark = "servable" in flag ? " \\*" : "";
    const choices = "choices" in flag ? ` One of: ${flag.choices.join(", ")}.` : "";
    return `| \`--${flag.name}\`${mark} | \`${JSON.stringify(flag.default)}\` | ${flag.help}${choices} |`;
  });
  return ["| flag | default | meaning |", "|---|---|---|", ...rows].join("\n");
}

/** `document` with the text between the flags markers replaced by `table`. */
export function replaceFlagsTable(document: string, table: string): string {
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start < 0 || end < start) throw new Error(`No ${START} ... ${END} markers`);
  return `${document.slice(0, start + START.length)}\n${table}\n${document.slice(end)}`;
}
