#!/usr/bin/env bash
# `make lab` / `make lab-down`.
source "$(dirname "$0")/lib.sh"
case "${1:-up}" in
    up)
        if [ ! -f "${REPO_ROOT}/playbooks/site.yml" ]; then
            log "make lab: not yet available (playbooks/site.yml does not exist yet)."
            log "The lab's dependencies (Docker engine, images, venv) are ready."
            exit 0
        fi ;;
    down)
        if [ -f "${REPO_ROOT}/Vagrantfile" ]; then
            cd "${REPO_ROOT}" && vagrant destroy -f
        fi ;;
    *) die "usage: $0 up|down" ;;
esac
