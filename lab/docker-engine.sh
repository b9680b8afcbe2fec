#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering.
# Installs Debian's docker.io when no engine is installed, and starts dockerd in the
# background when none answers (no service manager is assumed).
source "$(dirname "$0")/lib.sh"

DOCKERD_LOG="${DISTRANT_LAB_HOME}/dockerd.log"
DOCKERD_WAIT="${DISTRANT_DOCKERD_WAIT:-60}"

engine_answers() { docker info >/dev/null 2>&1; }

mkdir -p "${DISTRANT_LAB_HOME}"
ensure_pkgs docker:docker.io dockerd:docker.io

if engine_answers; then
    log "docker engine: $(docker info --format '{{.ServerVersion}}' 2>/dev/null) answering"
    exit 0
fi

info_error="$(docker info 2>&1 >/dev/null || true)"
if [[ "${info_error}" == *"permission denied"* ]]; then
    die "a Docker daemon runs but this user may not use it (permission denied on its socket)" \
        "Run as root, or add ${USER:-this user} to the 'docker' group and log in again."
fi

# A daemon may be coming up already (started by another run): give it a moment.
if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is running but does not answer yet; waiting"
else
    command -v dockerd >/dev/null 2>&1 || die "dockerd not found although docker.io is installed"
    log "starting dockerd in the background (log: ${DOCKERD_LOG})"
    if [ "$(id -u)" -eq 0 ]; then
        nohup dockerd >"${DOCKERD_LOG}" 2>&1 </dev/null &
    else
        as_root sh -c "nohup dockerd >'${DOCKERD_LOG}' 2>&1 </dev/null &"
    fi
fi

for _ in $(seq 1 "${DOCKERD_WAIT}"); do
    engine_answers && { log "docker engine answering"; exit 0; }
    sleep 1
done
tail_lines=()
if [ -r "${DOCKERD_LOG}" ]; then
    mapfile -t tail_lines < <(tail -n 15 "${DOCKERD_LOG}")
fi
die "the Docker daemon did not answer within ${DOCKERD_WAIT}s" \
    "Last lines of ${DOCKERD_LOG}:" "${tail_lines[@]:-(no log)}"
