#!/usr/bin/env bash
# Create (once per version of requirements.txt) the lab's Python virtual environment
# and print its directory. Rebuilt only when the pinned requirements change.
source "$(dirname "$0")/lib.sh"

hash="$(recipe_hash "$(python3 -c 'import sys; print(sys.version_info[:2])' 2>/dev/null)" \
    "${LAB_ROOT}/requirements.txt")"
venv="${DISTRANT_LAB_HOME}/venv-${hash}"
if [ -x "${venv}/bin/molecule" ] && [ -f "${venv}/.complete" ]; then
    echo "${venv}"; exit 0
fi
ensure_pkgs python3:python3
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    ensure_pkgs __none__:python3-venv
fi
mkdir -p "${DISTRANT_LAB_HOME}"
rm -rf "${venv}"
log "creating the Python venv ${venv} (pinned: lab/requirements.txt)"
python3 -m venv "${venv}" || die "python3 -m venv failed" "On Debian: apt-get install python3-venv"
"${venv}/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
if ! "${venv}/bin/pip" install -q --disable-pip-version-check -r "${LAB_ROOT}/requirements.txt" \
        >"${DISTRANT_LAB_HOME}/pip.log" 2>&1; then
    mapfile -t tail_lines < <(grep -v '^WARNING: Location' "${DISTRANT_LAB_HOME}/pip.log" | tail -n 10)
    die "pip could not install lab/requirements.txt (is PyPI reachable?)" "${tail_lines[@]}"
fi
touch "${venv}/.complete"
log "venv ready"
echo "${venv}"
