# Shared helpers of the lab scripts. Sourced, never executed.
# shellcheck shell=bash

set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

REPO_ROOT="$(cd "${LAB_ROOT}/.." && pwd)"
export REPO_ROOT
# Caches (images' build state, venv, downloads) live outside the git tree.
DISTRANT_LAB_HOME="${DISTRANT_LAB_HOME:-${XDG_CACHE_HOME:-${HOME}/.cache}/distrant-lab}"
DISTRANT_DEBIAN_MIRROR="${DISTRANT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DISTRANT_DEBIAN_SUITE="${DISTRANT_DEBIAN_SUITE:-bookworm}"
export DISTRANT_LAB_HOME DISTRANT_DEBIAN_MIRROR DISTRANT_DEBIAN_SUITE

log() { printf '\033[1m[lab]\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31m[lab] ERROR:\033[0m %s\n' "$1" >&2
    shift || true
    for line in "$@"; do printf '        %s\n' "$line" >&2; done
    exit 1
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "this step needs root: '$*'" \
            "Run it as root, or give this user passwordless sudo" \
            "(e.g. '${USER:-you} ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/)."
    fi
}

# Fail early, with the reason, when the Debian mirror cannot be reached.
check_mirror() {
    local url="${DISTRANT_DEBIAN_MIRROR%/}/dists/${DISTRANT_DEBIAN_SUITE}/Release"
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -m 20 -o /dev/null -r 0-0 "$url" 2>/dev/null && return 0
    else
        python3 - "$url" <<'PY' && return 0
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=20).read(1)
PY
    fi
    die "the Debian mirror does not answer: ${url}" \
        "The lab installs packages and builds its images from it." \
        "Check the network, or point DISTRANT_DEBIAN_MIRROR at a mirror you can reach."
}

# Install Debian packages that are missing (by the command they provide).
# usage: ensure_pkgs cmd:package [cmd:package...]
ensure_pkgs() {
    local missing=() spec
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing ${missing[*]} and this is not a Debian-like system (no apt-get)" \
            "Install them with your package manager, then run this again."
    check_mirror
    log "installing ${missing[*]} (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
        die "apt-get update failed" "Check /etc/apt/sources.list and the network."
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install ${missing[*]} failed" "Run it by hand to see apt's message."
}

# A short, stable hash of the given files' content and the extra words.
recipe_hash() {
    local extra="$1"; shift
    { cat "$@"; printf '%s' "$extra"; } | sha256sum | cut -c1-12
}
