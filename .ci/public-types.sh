#!/usr/bin/env bash
# Counts the public top-level types (class, interface, record, enum, annotation) of each
# module's main sources, at a git revision (default HEAD), one "module count" line each.
#   .ci/public-types.sh [REV]            counts per module
#   .ci/public-types.sh [REV] --list     also lists each public type as module path
# A module is the folder that holds a pom.xml above src/main/java (core, core/testing, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
list=${2:-}
git grep -l -E '^public +((final|abstract|sealed|non-sealed|static|strictfp) +)*(class|interface|record|enum|@interface) ' \
    "$rev" -- '*src/main/java/*.java' \
  | sed "s|^$rev:||" \
  | awk -v list="$list" '
      { i = index($0, "/src/main/java/"); module = substr($0, 1, i - 1); n[module]++;
        if (list == "--list") print module, substr($0, i + 15) }
      END { for (m in n) print m, n[m] | "sort"; }'
