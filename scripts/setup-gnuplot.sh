#!/usr/bin/env bash
# gnuplot for the benchmark's plot (scripts/bench-report.js): Debian's gnuplot-nox (no X11, no service; its PNG
# terminal draws with cairo). Installed with apt when missing; prints the binary's path. Only the benchmark uses it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if ! have gnuplot; then
  have apt-get || die "gnuplot is missing and there is no apt-get to install it"
  apt_install gnuplot-nox
fi
command -v gnuplot
