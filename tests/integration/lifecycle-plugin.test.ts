// The lifecycle table (lifecycle.test.ts) run a second time, through the `incus` resource provider plugin's protocol
// layer instead of straight into the engine (the dynamic providers' path): both paths must behave the same.
process.env.PULUMI_INCUS_VIA = "plugin";
require("./lifecycle.test");
