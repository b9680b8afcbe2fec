#!/usr/bin/env bash
# Print what failed in a test log, so that the end of a long run names its cause: the last
# failed tasks with their names and output, then the last failure's task and its msg/stderr,
# unwrapped (see lab/failure_cause.py).
#   lab/failures.sh LOG
set -euo pipefail
log=${1:?usage: lab/failures.sh LOG}
[[ -f "$log" ]] || exit 0
exec python3 "$(dirname "$0")/failure_cause.py" "$log"
