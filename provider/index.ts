// What the dynamic providers require at run time (by package name, so nothing here is serialised into state),
// and what tools and tests use directly.
import { flushCompileCache } from "./compile-cache"; // first: it caches the compiled code of all that follows
import { KindEngine } from "./engine/engine";
import { kinds, type KindName } from "./kinds";

export * from "./client";
export { clientFor, configure, providerSettings } from "./engine/connection";
export { KindEngine } from "./engine/engine";
export { UNKNOWN } from "./engine/inputs";
export { kinds, type KindName } from "./kinds";
export { deleteProjectAndContents } from "./kinds/project";

const engines = new Map<string, KindEngine<any>>();

export function engineFor(type: KindName): KindEngine<any> {
  let engine = engines.get(type);
  if (!engine) {
    const spec = kinds[type];
    if (!spec) throw new Error(`pulumi-incus: unknown kind ${type}`);
    engine = new KindEngine(spec as any);
    if (engines.size === 0) setImmediate(flushCompileCache);
    engines.set(type, engine);
  }
  return engine;
}
