// The lifecycle table (tests/integration/lifecycle.test.ts) run against a private LXD 5.0.2 (tests/lxd/daemon.ts):
// every row of a kind LXD has, and for the kinds it lacks, the preview's refusal.
process.env.PULUMI_INCUS_LIFECYCLE_SERVER = "lxd";
require("../integration/lifecycle.test");
