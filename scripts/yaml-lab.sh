#!/usr/bin/env bash
# The lab as a Pulumi YAML program (examples/yaml-lab), served by the `incus` resource provider plugin: set
# everything up (the YAML language host included), then `pulumi up` against the local Incus with state in the
# repo's local backend (stack config in examples/yaml-lab/Pulumi.yaml-lab.yaml, not committed: it names a
# local file). `scripts/yaml-lab.sh destroy` tears it down; other arguments are passed to pulumi.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
prepare_yaml
cd "$REPO_ROOT/examples/yaml-lab"
pulumi stack select --create "${LAB_STACK:-yaml-lab}" >/dev/null
pulumi config set imageFile "$TOOLS_DIR/images/debian-bookworm-v2.tar.gz" >/dev/null
run_lab "${LAB_STACK:-yaml-lab}" "$@"
