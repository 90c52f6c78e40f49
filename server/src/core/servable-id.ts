/**
 * The identity of one servable version: a model (servable stream) name and an integer
 * version. Versions of one name form a stream; requests ask for a name and either a
 * version, a label, or the latest.
 */
export interface ServableId {
  readonly name: string;
  readonly version: number;
}

export function formatServableId(id: ServableId): string {
  return `{name: ${id.name} version: ${id.version}}`;
}
