// The lifecycle table run against a private LXD 5.0.2 (tests/lxd/daemon.ts) through the `incus` resource provider
// plugin's protocol layer (as lifecycle-plugin.test.ts does on Incus): every row of a kind LXD has, and for the kinds
// it lacks, the preview's refusal. Its own LXD (lxd-pi-lxd2-lifep), so it can run beside lifecycle-lxd.test.ts.
process.env.PULUMI_INCUS_LIFECYCLE_SERVER = "lxd";
process.env.PULUMI_INCUS_VIA = "plugin";
require("../integration/lifecycle.test");
