/** Which version of a model a call names: a number, a label, or neither (the latest). */
export interface VersionChoice {
  readonly version?: number;
  readonly label?: string;
}

/** `v1/models/{name}[/versions/{v}|/labels/{l}]`. */
export function modelPath(name: string, choice: VersionChoice = {}): string {
  const base = `v1/models/${encodeURIComponent(name)}`;
  if (choice.version !== undefined && choice.label !== undefined) {
    throw new Error("Give a version or a label, not both");
  }
  if (choice.version !== undefined) return `${base}/versions/${choice.version}`;
  if (choice.label !== undefined) return `${base}/labels/${encodeURIComponent(choice.label)}`;
  return base;
}
