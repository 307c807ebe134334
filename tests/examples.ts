// Valid inputs of every kind, from the `example` of its declaration (provider/kinds/<kind>.ts): the one source of the
// unit tests' valid rows. An example names its parents by placeholder (pool `default`, network `br0`) and an image's
// `file` by a path the caller provides.
import { type KindName, kinds } from "../provider/kinds";

export function exampleArgs(imageFile: string): Record<KindName, Record<string, unknown>> {
  const out = {} as Record<KindName, Record<string, unknown>>;
  for (const kind of Object.keys(kinds) as KindName[]) {
    const example = kinds[kind].example;
    if (!example) throw new Error(`provider/kinds: ${kind} declares no example`);
    out[kind] = kind === "Image" ? { ...example.args, file: imageFile } : { ...example.args };
  }
  return out;
}
