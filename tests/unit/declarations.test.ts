// One declaration per kind feeds the engine, the SDK, the plugin schema, the README table and the unit tests: a kind
// file that is not registered in provider/kinds/index.ts would be silently absent from all of them, and a registered
// kind without docs or an example would leave the class undocumented and the tests without a valid row.
import * as fs from "node:fs";
import * as path from "node:path";
import type { KindSpec } from "../../provider/engine/kind";
import { kinds } from "../../provider/kinds";

const KINDS_DIR = path.join(__dirname, "..", "..", "provider", "kinds");
const isSpec = (v: unknown): v is KindSpec<any, any> =>
  !!v && typeof v === "object" && typeof (v as KindSpec).type === "string" && typeof (v as KindSpec).path === "function" && "schema" in v;

test("every kind declared under provider/kinds is registered in provider/kinds/index.ts", () => {
  const declared: string[] = [];
  for (const file of fs.readdirSync(KINDS_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
    for (const value of Object.values(require(path.join(KINDS_DIR, file)) as Record<string, unknown>)) {
      if (!isSpec(value)) continue;
      declared.push(value.type);
      // The very object the file exports, under its own type name: else the kind is absent from the SDK and schema.
      expect([file, value.type, (kinds as Record<string, unknown>)[value.type] === value]).toEqual([file, value.type, true]);
    }
  }
  expect(declared.sort()).toEqual(Object.keys(kinds).sort());
});

describe.each(Object.keys(kinds))("%s declaration", (kind) => {
  const spec = (kinds as Record<string, KindSpec<any, any>>)[kind];

  it("has docs: a summary and a doc for each output, and no doc for what is not an output", () => {
    expect(spec.docs?.summary).toMatch(/\S/);
    expect(Object.keys(spec.docs?.outputs ?? {}).sort()).toEqual([...(spec.outputKeys ?? [])].sort());
  });

  it("has an example: args naming the object, and a program that makes one", () => {
    expect(typeof spec.example?.args.name).toBe("string");
    expect(spec.example?.program).toContain(`new incus.${kind}(`);
  });
});
