#!/usr/bin/env bash
# Counts the public top-level types (class, interface, record, enum, annotation) in each module's
# main sources at a git revision (default HEAD): "module total library cli", where cli counts the
# types in command-line packages (a package named cli or under one) and library the rest.
#   .ci/public-types.sh [REV]           the counts, one line per module
#   .ci/public-types.sh [REV] --list    every public type as "module package.Type" instead
# A module is the folder holding src/main/java (core, core/testing, ...); sample projects under
# src/it are not modules of the build and are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
mode=${2:-counts}
git grep -l -E '^public +((final|abstract|sealed|non-sealed|static|strictfp) +)*(class|interface|record|enum|@interface) ' \
    "$rev" -- '*src/main/java/*.java' ':!*/src/it/*' \
  | sed "s|^$rev:||" \
  | awk -v mode="$mode" '
      {
        i = index($0, "/src/main/java/"); module = substr($0, 1, i - 1);
        type = substr($0, i + 15); sub(/\.java$/, "", type); gsub("/", ".", type);
        if (mode == "--list") { print module, type; next }
        total[module]++;
        if (type ~ /(^|\.)cli\./) cli[module]++;
      }
      END {
        if (mode == "--list") exit;
        print "module total library cli";
        for (m in total) print m, total[m], total[m] - cli[m], cli[m] + 0 | "sort";
      }' | column -t
