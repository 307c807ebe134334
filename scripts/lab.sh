#!/usr/bin/env bash
# The README's main job: set everything up, then `pulumi up` the default lab stack against the local Incus with
# state in a local backend, and print the stack's outputs. `scripts/lab.sh destroy` tears the lab down.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
run_lab "${LAB_STACK:-lab}" "$@"
