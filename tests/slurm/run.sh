#!/usr/bin/env bash
# A real SLURM run of the test config, checked against a local run.
#
#   bash tests/slurm/run.sh
#
# What it does, in order:
#   1. installs Debian's slurm-wlm and munge when missing (apt-get, as root);
#   2. starts munged (as user munge), slurmctld and slurmd on 127.0.0.1 as a
#      one-node cluster, every file of theirs in a fresh folder under /tmp
#      (config, key, socket, state, logs); /etc/slurm/slurm.conf is a link to
#      that config during the run (see below why), refused if it exists;
#   3. runs the whole test config twice in two clean copies of the repository:
#      locally (`--cores 2`) and with `--profile profiles/slurm` through
#      snakemake-executor-plugin-slurm, one SLURM job per job, as a user's run;
#   4. checks that every job ran on the cluster in a SLURM job step, that the
#      SLURM jobs are the ones planned, and that both runs wrote the same files
#      with the same bytes (tests/slurm/compare_outputs.py);
#   5. stops the daemons it started, by PID, whatever happened before.
#
# No cgroups, no systemd and no accounting database are needed: the cluster
# uses proctrack/linuxproc and no accounting, so the plugin polls job states
# with squeue (sacct would fail), and MinJobAge keeps finished jobs visible to
# squeue long enough for that.
#
# About 50 jobs: three to four minutes here, as every SLURM job starts Snakemake
# twice (once for the job, once for its job step) and the plugin polls squeue.
# Bundling jobs with Snakemake's job groups saved no time here (measured: 176-237 s
# grouped by stage against 210 s ungrouped), so the run stays the one a user makes.
#
# SLURM_CI_TARGETS=slice runs only a slice of the test config with every kind of
# job (bundled-data export and split, a linear experiment, a neural-network
# training job, a figure, the report values), for debugging.
#
# Environment: SLURM_CI_KEEP=1 keeps the /tmp folder (daemon logs, both runs)
# for inspection; SLURM_CI_CTLD_PORT / SLURM_CI_SLURMD_PORT choose the ports
# (defaults 6917 and 6918, next to SLURM's own 6817/6818 so a real cluster
# on the machine is left alone).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
START=$SECONDS
say() { printf '[slurm-ci %3ds] %s\n' "$((SECONDS - START))" "$*"; }
die() {
    say "FAILED: $*"
    exit 1
}

if [[ $(id -u) -ne 0 ]]; then
    die "run as root: slurmd starts jobs as their owner and munged must run as user munge"
fi

# --- Python environment: the repository's venv when there is one ------------------------
if [[ -x "$REPO/.venv/bin/snakemake" ]]; then
    export PATH="$REPO/.venv/bin:$PATH"
fi
command -v snakemake > /dev/null || die "snakemake not on PATH (install the test extra)"
python -c "import snakemake_executor_plugin_slurm" 2> /dev/null ||
    die "snakemake-executor-plugin-slurm is not installed (it is in the test extra)"

# --- 1. Packages ------------------------------------------------------------------------
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() {
        apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
            slurm-wlm munge > /dev/null
    }
    apt_install || { apt-get update -qq -o DPkg::Lock::Timeout=600 && apt_install; }
fi

# --- 2. A one-node cluster under /tmp ---------------------------------------------------
WORK="$(mktemp -d /tmp/slurm-ci.XXXXXX)"
chmod 755 "$WORK"
PIDS=()  # daemons, in start order
CHILD="" # the snakemake run in progress: a session of its own, so its jobs stop with it
cleanup() {
    local status=$?
    if [[ -n $CHILD ]] && kill -0 "$CHILD" 2> /dev/null; then
        say "stopping the snakemake run in progress (PID $CHILD) and its jobs"
        scancel --partition=ci 2> /dev/null || true
        kill -TERM -- "-$CHILD" 2> /dev/null || true
        sleep 2
        kill -KILL -- "-$CHILD" 2> /dev/null || true
    fi
    # Stop only what this script started, newest first, by PID.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill "${PIDS[i]}" 2> /dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2> /dev/null || true
    done
    if [[ -n ${LINKED_CONF:-} ]]; then
        rm -f "$LINKED_CONF"
    fi
    if [[ $status -ne 0 ]]; then
        for log in "$WORK"/log/*.log; do
            [[ -f $log ]] || continue
            echo "--- last lines of $log"
            grep -v "^[[:space:]]*$" "$log" | tail -n 20
        done
    fi
    if [[ ${SLURM_CI_KEEP:-0} == 1 ]]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'say "FAILED at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM

mkdir -p "$WORK"/{etc,munge,state,spool,log,run}

# munged runs as user munge with its key, socket, PID and seed files in a folder
# it owns (it refuses a key or socket folder that other users could write).
HOST="$(hostname -s)"
MUNGE_SOCKET="$WORK/munge/munge.socket"
mkdir -p "$WORK/munge/key"
mungekey --create --keyfile="$WORK/munge/key/munge.key"
chown -R munge:munge "$WORK/munge" "$WORK/log"
# The key only munge may read; the socket's folder everyone may enter (munged checks both).
chmod 700 "$WORK/munge/key"
chmod 600 "$WORK/munge/key/munge.key"
chmod 755 "$WORK/munge"
setpriv --reuid=munge --regid=munge --clear-groups -- \
    munged --foreground --socket="$MUNGE_SOCKET" --key-file="$WORK/munge/key/munge.key" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/log/munged.log" > "$WORK/log/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
    [[ -S $MUNGE_SOCKET ]] && break
    sleep 0.1
done
munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" > /dev/null ||
    die "munged does not answer on $MUNGE_SOCKET"
chown root:root "$WORK/log"

# The node line is what slurmd detects here (CPUs, sockets, memory), so the node
# never registers as invalid; NodeName must equal `hostname -s`.
NODE_LINE="$(slurmd -C | head -n 1)"
[[ $NODE_LINE == "NodeName=$HOST "* ]] || die "slurmd -C printed '$NODE_LINE', expected NodeName=$HOST"
export SLURM_CONF="$WORK/etc/slurm.conf"
cat > "$SLURM_CONF" << EOF
ClusterName=snakemake-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=${SLURM_CI_CTLD_PORT:-6917}
SlurmdPort=${SLURM_CI_SLURMD_PORT:-6918}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
# No cgroups and no systemd here: plain process tracking, no task containment.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No accounting database: sacct cannot answer, so the plugin uses squeue, which
# only sees a finished job for MinJobAge seconds (the plugin wants >= 3 x its
# first status-check delay).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=5
${NODE_LINE/NodeName=$HOST /NodeName=$HOST NodeAddr=127.0.0.1 } State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# Inside a job, snakemake-executor-plugin-slurm-jobstep starts the rule with a nested
# `srun` and strips every SLURM_* variable (SLURM_CONF included) from its
# environment, so that srun finds the config only at SLURM's default path. Link it
# there for the run, unless a real config is in place.
SYSTEM_CONF=/etc/slurm/slurm.conf
if [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") == /tmp/slurm-ci.*/etc/slurm.conf ]]; then
    rm -f "$SYSTEM_CONF" # left by an earlier run of this script that was killed
fi
[[ -e $SYSTEM_CONF ]] && die "$SYSTEM_CONF exists: this machine has a SLURM config; not touching it"
mkdir -p /etc/slurm
ln -s "$SLURM_CONF" "$SYSTEM_CONF"
LINKED_CONF=$SYSTEM_CONF

say "starting slurmctld and slurmd ($NODE_LINE)"
slurmctld -D -i > "$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D > "$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 120); do
    state="$(sinfo --noheader --nodes="$HOST" --format=%T 2> /dev/null || true)"
    [[ $state == idle ]] && break
    sleep 0.5
done
[[ $state == idle ]] || die "node $HOST is '${state:-unreachable}', not idle, after 60 s"
say "cluster up: $(sinfo --noheader --format='%P %D %T %c CPUs %m MB')"

# --- 3. The same workflow, locally and through SLURM ------------------------------------
copy() {
    python - "$1" << 'EOF'
import sys
from pathlib import Path
sys.path.insert(0, "tests")
from conftest import copy_repo
copy_repo(Path(sys.argv[1]))
EOF
}
(cd "$REPO" && copy "$WORK/local" && copy "$WORK/slurm")

# run_logged LOG DIR COMMAND...: run COMMAND in DIR, output to LOG. In the
# background and in a session of its own, so a signal reaches the trap at once
# and cleanup can stop the run with every job it started.
run_logged() {
    local log=$1 dir=$2 rc=0
    shift 2
    (cd "$dir" && exec setsid "$@") > "$log" 2>&1 &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}
# Quarto is not part of this check: hide it so both runs build the same targets.
QUARTOLESS_PATH="$(python -c "import sys; sys.path.insert(0, '$REPO/tests'); \
from conftest import snakemake_env; print(snakemake_env()['PATH'])")"
export PYTHONHASHSEED=0
case ${SLURM_CI_TARGETS:-all} in
all) TARGETS=() ;;
slice)
    TARGETS=(
        results/linear/wine_course/metrics.csv
        report/figures/fig-wine-coefficients.png
        results/nn/breast_cancer/dropout/rate0.5/seed0/history.csv
        results/values/fashion_mnist.json
    )
    ;;
*) die "SLURM_CI_TARGETS must be 'all' or 'slice', not '$SLURM_CI_TARGETS'" ;;
esac

say "targets: ${TARGETS[*]:-all of the test config}"
say "local run: snakemake --cores 2 --configfile config/test.yaml"
local_start=$SECONDS
PATH="$QUARTOLESS_PATH" run_logged "$WORK/log/local-run.log" "$WORK/local" \
    snakemake --cores 2 "${TARGETS[@]}" --configfile config/test.yaml ||
    {
        tail -n 40 "$WORK/log/local-run.log"
        die "local run failed"
    }
say "local run done in $((SECONDS - local_start)) s"

# --slurm-init-seconds-before-status-checks: the first status check comes after
# 2 s instead of 40 s, as the test jobs take seconds (after each check that finds
# no job finished, the plugin waits 10 s longer for the next, up to 180 s).
# --slurm-no-account: this cluster has no accounts (a real one usually has; see
# profiles/slurm). --slurm-keep-successful-logs: the checks below read them.
say "SLURM run: snakemake --profile profiles/slurm --configfile config/test.yaml"
slurm_start=$SECONDS
PATH="$QUARTOLESS_PATH" run_logged "$WORK/log/slurm-run.log" "$WORK/slurm" \
    snakemake --profile profiles/slurm "${TARGETS[@]}" --configfile config/test.yaml \
    --slurm-status-command squeue \
    --slurm-init-seconds-before-status-checks 2 \
    --slurm-no-account --slurm-keep-successful-logs ||
    {
        tail -n 60 "$WORK/log/slurm-run.log"
        die "SLURM run failed"
    }
say "SLURM run done in $((SECONDS - slurm_start)) s"

# --- 4. Checks --------------------------------------------------------------------------
# Every job but the target rule `all` (which has no action: Snakemake completes it
# itself) must have run on the cluster, inside a SLURM job, as a job step: the
# plugin's job step runs it under srun with Snakemake's local executor, which logs
# `localrule NAME:` for it into the SLURM job's log (kept by
# --slurm-keep-successful-logs). Count those against the job count of a dry run
# of the same targets (Quarto hidden, as in the runs), and count sbatch's job ids in the run's log (one SLURM job
# per job) and slurmd's launches against it too.
plan="$(cd "$WORK/local" && PATH="$QUARTOLESS_PATH" snakemake -n --forceall "${TARGETS[@]}" --configfile config/test.yaml 2>&1)"
planned="$(awk '$1 == "total" && !seen {print $2; seen = 1}' <<< "$plan")"
targets_only="$(awk '$1 == "all" && !seen {print $2; seen = 1}' <<< "$plan")"
[[ $planned =~ ^[0-9]+$ ]] || die "no job count in the dry run"
expected_jobs=$((planned - ${targets_only:-0}))
expected_sbatch=$expected_jobs
submitted="$(grep -cE 'Job [0-9a-f-]+ has been submitted with SLURM jobid [0-9]+' "$WORK/log/slurm-run.log" || true)"
launched="$(grep -c "Launching batch job" "$WORK/log/slurmd.log" || true)"
in_steps="$(find "$WORK/slurm/.snakemake/slurm_logs" -name '*.log' -exec cat {} + |
    grep -cE '^localrule [A-Za-z_][A-Za-z0-9_]*:$' || true)"
say "jobs planned: $planned; SLURM jobs submitted: $submitted, launched by slurmd: $launched" \
    "(expected $expected_sbatch); jobs run in SLURM job steps: $in_steps (expected $expected_jobs)"
((expected_sbatch > 0 && submitted == expected_sbatch && launched == expected_sbatch)) ||
    die "expected $expected_sbatch SLURM jobs, found $submitted in the run's log and $launched in slurmd's"
((expected_jobs > 0 && in_steps == expected_jobs)) ||
    die "expected $expected_jobs jobs run in SLURM job steps, found $in_steps in the SLURM jobs' logs"

say "comparing outputs"
python "$REPO/tests/slurm/compare_outputs.py" "$WORK/local" "$WORK/slurm" ||
    die "the SLURM run's outputs differ from the local run's"
say "passed in $((SECONDS - START)) s"
