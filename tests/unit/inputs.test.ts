// The input building blocks every kind shares: default names, field names in messages, config value coercion and
// the preview's unknown values.
import { configMap, containsUnknown, fieldName, hostName, interfaceName, UNKNOWN, unknownPaths } from "../../provider/engine/inputs";
import { sanitizeName } from "../../sdk/names";

describe("sanitizeName (a Pulumi logical name turned into an Incus name)", () => {
  it.each([
    ["web", "web"],
    ["My_Web Server", "my-web-server"],
    ["db.primary", "db-primary"],
    ["a__b--c", "a-b-c"],
    ["123-abc", "abc"], // names must start with a letter
    ["-lead", "lead"],
    ["trail---", "trail"],
    ["Ünïcode", "n-code"],
    ["", "x"],
    ["___", "x"],
    ["42", "x"],
  ])("%j → %j", (logical, expected) => {
    expect(sanitizeName(logical)).toBe(expected);
  });

  it("cuts at the limit without leaving a trailing hyphen", () => {
    expect(sanitizeName("a".repeat(80))).toBe("a".repeat(63));
    // Network names are limited to 15 characters; the cut lands right after a hyphen here.
    expect(sanitizeName("abcdefghijklmn-op", 15)).toBe("abcdefghijklmn");
    expect(sanitizeName("very-long-network-name", 15)).toBe("very-long-netwo");
  });

  it("always yields a valid instance name and, with limit 15, a valid interface name", () => {
    const samples = ["x", "Web Server 01", "9lives", "--a--", "über.große/pfad", "a".repeat(100), "A-1-", "x_y_z_".repeat(20), "é"];
    for (const s of samples) {
      expect(hostName.safeParse(sanitizeName(s)).success).toBe(true);
      expect(interfaceName.safeParse(sanitizeName(s, 15)).success).toBe(true);
    }
  });
});

describe("fieldName (a zod issue path as the user sees it)", () => {
  it.each([
    [["name"], "name"],
    [["config", "limits.cpu"], 'config["limits.cpu"]'],
    [["devices", "root", "pool"], "devices.root.pool"],
    [["devices", "eth-0", "type"], 'devices["eth-0"].type'],
    [["profiles", 1], "profiles[1]"],
    [["aliases", 0], "aliases[0]"],
    [["config", ""], 'config[""]'],
    [[], "(inputs)"],
  ] as [PropertyKey[], string][])("%j → %s", (path, expected) => {
    expect(fieldName(path)).toBe(expected);
  });
});

describe("config values", () => {
  it("turns numbers and booleans into the strings Incus wants, and keeps strings", () => {
    expect(configMap.parse({ "limits.cpu": 2, "security.nesting": true, "boot.autostart": false, "limits.memory": "256MiB", "x.zero": 0 })).toEqual({
      "limits.cpu": "2",
      "security.nesting": "true",
      "boot.autostart": "false",
      "limits.memory": "256MiB",
      "x.zero": "0",
    });
  });

  it.each([[{}], [[1]], [undefined]])("rejects %j as a value", (value) => {
    expect(configMap.safeParse({ k: value }).success).toBe(false);
  });

  it('drops null and "" values: both mean "not set"', () => {
    expect(configMap.parse({ a: null, b: "", c: "x" })).toEqual({ c: "x" });
  });

  it("rejects an empty key", () => {
    expect(configMap.safeParse({ "": "x" }).success).toBe(false);
  });
});

describe("unknown preview values", () => {
  it("finds every unknown value and its path", () => {
    const value = { name: UNKNOWN, config: { a: "1", b: UNKNOWN }, profiles: ["x", UNKNOWN] };
    expect(unknownPaths(value)).toEqual([["name"], ["config", "b"], ["profiles", 1]]);
    expect(containsUnknown(value)).toBe(true);
    expect(containsUnknown({ name: "x", config: { a: "1" } })).toBe(false);
  });
});
