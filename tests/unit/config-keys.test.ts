// Config keys the server lacks (provider/engine/server.ts) and how scripts/generate-config-keys.ts attributes a key to
// the API extension that brought it. The table itself is checked against a real LXD in tests/lxd/differences.test.ts.
import { extensionKeysIn, type ServerInfo, unknownConfigKey } from "../../provider/engine/server";
import { configKeys, pattern } from "../../scripts/generate-config-keys";

const server = (name: string, version: string, extensions: string[]): ServerInfo => ({ server: name, version, extensions: new Set(extensions) });
const lxd = server("lxd", "5.0.2", ["projects"]);
const incus = server("incus", "6.0.4", ["storage_buckets", "projects_limits_disk_pool", "instance_auto_restart"]);

describe("unknownConfigKey", () => {
  it("names field, key, server and extension; with a replacement where there is one", () => {
    expect(unknownConfigKey(lxd, { config: "project" }, { config: { "features.storage.buckets": "true" } })).toEqual({
      property: 'config["features.storage.buckets"]',
      reason: 'config["features.storage.buckets"]: LXD 5.0.2 has no project config key `features.storage.buckets` (API extension storage_buckets)',
    });
    expect(unknownConfigKey(lxd, { config: "project" }, { config: { "limits.disk.pool.fast": "1GiB" } })?.reason).toBe(
      'config["limits.disk.pool.fast"]: LXD 5.0.2 has no project config key `limits.disk.pool.fast` (API extension projects_limits_disk_pool); use `limits.disk` (one limit for all pools) instead',
    );
  });

  it("passes keys the server has, keys no extension brings, unset keys and other entities' keys", () => {
    expect(unknownConfigKey(incus, { config: "project" }, { config: { "features.storage.buckets": "true", "limits.disk.pool.x": "1GiB" } })).toBeUndefined();
    expect(unknownConfigKey(lxd, { config: "instance" }, { config: { "limits.cpu": "2", "user.x": "1", "boot.autorestart": null } })).toBeUndefined();
    // A project key set on an instance is for Incus to refuse, not this table.
    expect(unknownConfigKey(lxd, { config: "instance" }, { config: { "features.storage.buckets": "true" } })).toBeUndefined();
  });

  it("a program that sets no key an extension brings needs no server read", () => {
    expect(extensionKeysIn({ config: "instance" }, { config: { "limits.cpu": "2" } })).toEqual([]);
    expect(extensionKeysIn({ config: "instance" }, { config: { "boot.autorestart": "true" } }).map(([f, k]) => [f, k])).toEqual([
      ["config", "boot.autorestart"],
    ]);
  });
});

describe("the generator's attribution", () => {
  // Our own short stand-in for the doc's shape: sections in order, bullets and sentences.
  const doc = [
    "# API extensions",
    "## `old_limits`",
    "Introduces the `limits.widgets` key.",
    "## `widget_nodes`",
    "This adds the following new configuration key:",
    "* `limits.widgets.nodes`: where to place them (with `limits.widgets`)",
    "## `widget_bytes`",
    "This extends `limits.widgets` to take bytes.",
    "## `widget_pools`",
    "A new `limits.widgets.pool.NAME` key was added.",
    "## `not_in_this_server`",
    "A new `limits.gadgets` key.",
  ].join("\n");
  const metadata = {
    configs: {
      instance: {
        g: {
          keys: [
            { "limits.widgets": {} },
            { "limits.widgets.nodes": {} },
            { "limits.widgets.pool.POOL_NAME": {} },
            { "limits.gadgets": {} },
            { "volatile.x": {} },
          ],
        },
      },
    },
  };
  const table = configKeys(doc, metadata, ["old_limits", "widget_nodes", "widget_bytes", "widget_pools"]);

  it("a key belongs to the first section that introduces it; a mention, or a section that only extends it, does not count", () => {
    expect(table.instance).toEqual([
      ["limits.widgets", "old_limits"],
      ["limits.widgets.nodes", "widget_nodes"],
      ["limits.widgets.pool.*", "widget_pools"],
    ]);
  });

  it("placeholders (NAME, <name>, *) are one pattern", () => {
    expect([pattern("limits.disk.pool.NAME"), pattern("limits.disk.pool.POOL_NAME"), pattern("volatile.<name>.hwaddr"), pattern("smbios11.*")]).toEqual([
      "limits.disk.pool.*",
      "limits.disk.pool.*",
      "volatile.*.hwaddr",
      "smbios11.*",
    ]);
  });
});
