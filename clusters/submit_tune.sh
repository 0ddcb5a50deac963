#!/usr/bin/env bash
# Submits one tuning run to a Ray cluster as a Ray job:
#
#   clusters/submit_tune.sh WORK_DIR [raytune-ms tune options ...]
#   clusters/submit_tune.sh /tmp/tuning --workload GMM --size small --trials 64 --target llvm
#
# WORK_DIR is the tuning directory every job of a campaign shares: its parquet database takes
# records from several jobs and nodes at once. It must be reachable from the head node (the
# job's driver opens it): a local path on a one-machine cluster, NFS or an object store URI
# (s3://..., gs://...) on a real one. A relative local path is made absolute here, because the
# job runs inside its uploaded copy of the project, not in the directory you submit from.
#
# The cluster comes from RAY_API_SERVER_ADDRESS or RAY_ADDRESS (http://HEAD:8265), as for
# `ray job` itself; for the local cluster: eval "$(python clusters/local_cluster.py env --dir D)".
# Extra `ray job submit` options go in RAY_JOB_SUBMIT_ARGS (e.g. "--no-wait --submission-id x").
# Without --no-wait the command streams the job's log and exits 1 if the job failed; the last
# line of the log is the tuner's JSON summary.
set -euo pipefail

if [[ $# -lt 1 || "$1" == -* ]]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
work_dir="$1"
shift
if [[ "$work_dir" != *://* ]]; then
    mkdir -p "$work_dir"
    work_dir="$(cd "$work_dir" && pwd)"
fi

# The runtime env's working_dir "." is the project root.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC2086  # RAY_JOB_SUBMIT_ARGS is a list of options
exec ray job submit --runtime-env clusters/runtime_env.yaml ${RAY_JOB_SUBMIT_ARGS:-} \
    -- raytune-ms tune --work-dir "$work_dir" "$@"
