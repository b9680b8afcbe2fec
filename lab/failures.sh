#!/usr/bin/env bash
# Print what failed in a test log, so that the end of a long run names its cause: the last
# failed tasks (fatal:/FAILED!; the one that stopped the run is the last, earlier ones may have
# been expected and ignored), each with its task name and the lines after it, colours stripped;
# then, as the very last lines (what a CI page shows of a long log), the last failure's task and
# its msg/stderr, unwrapped.
#   lab/failures.sh LOG
set -euo pipefail
log=${1:?usage: lab/failures.sh LOG}
[[ -f "$log" ]] || exit 0
echo "==== what failed, from $log (the last 3 failed tasks) ===="
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /TASK \[/ { task = $0 }
  /fatal:|FAILED!|failed: \[/ { count++; start[count] = NR; name[count] = task }
  { line[NR] = $0 }
  END {
    first = count > 3 ? count - 2 : 1
    for (i = first; i <= count; i++) {
      print "----"; if (name[i] != "") print name[i]
      for (j = start[i]; j < start[i] + 40 && j <= NR; j++) print line[j]
    }
  }
'
echo "==== end of what failed ===="
sed 's/\x1b\[[0-9;]*m//g' "$log" | python3 "$(dirname "$0")/failure_cause.py"
