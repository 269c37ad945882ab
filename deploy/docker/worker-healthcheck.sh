#!/bin/sh
# Health of a training worker container (Docker HEALTHCHECK; Kubernetes exec liveness probe).
# A worker has no listener, so it is healthy while
#   1. a `node … dist/src/worker.js` process runs and is neither a zombie nor stopped, and
#   2. its heartbeat file, once the worker writes one, changed within the last
#      WORKER_HEARTBEAT_MAX_AGE_SECONDS (default: 3 × JOB_LEASE_SECONDS). Past one lease the server
#      already hands the job to another worker, so a silent worker is worth restarting.
set -u
heartbeat_file="${WORKER_HEARTBEAT_FILE:-/tmp/clsa-worker-heartbeat}"
max_age="${WORKER_HEARTBEAT_MAX_AGE_SECONDS:-$(( ${JOB_LEASE_SECONDS:-30} * 3 ))}"

alive=""
for dir in /proc/[0-9]*; do
  # [d]ist keeps this pattern from matching a process that carries it as an argument.
  if { tr '\0' ' ' < "$dir/cmdline"; } 2>/dev/null | grep -q 'node.*[d]ist/src/worker\.js'; then
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$dir/status" 2>/dev/null)
    case "$state" in
      Z|T|X) echo "worker process ${dir#/proc/} is in state $state"; exit 1 ;;
    esac
    alive="${dir#/proc/}"
    break
  fi
done
if [ -z "$alive" ]; then
  echo "no worker process (node dist/src/worker.js) is running"
  exit 1
fi

if [ -f "$heartbeat_file" ]; then
  age=$(( $(date +%s) - $(stat -c %Y "$heartbeat_file") ))
  if [ "$age" -gt "$max_age" ]; then
    echo "worker heartbeat $heartbeat_file is ${age}s old (limit ${max_age}s)"
    exit 1
  fi
fi
echo "worker $alive healthy"
exit 0
