#!/usr/bin/env bash
# `make lab`: bring the Vagrant lab up with the best provider this machine has, run
# playbooks/site.yml through the distrant.distcc.vagrant inventory, print the report.
# `make lab-down`: destroy it.
# DISTRANT_PROVIDER=libvirt|virtualbox|docker overrides the choice of provider.
# DISTRANT_LAB_TARGET=kernel/ builds that make target instead of the whole job (all), which is
# the default but on libvirt under TCG (an emulator), where it is kernel/.
source "$(dirname "$0")/lib.sh"
cd "${REPO_ROOT}" || exit 1

# The playbooks use the collection by its name: expose this checkout as one.
collections="${DISTRANT_LAB_HOME}/collections"
mkdir -p "${collections}/ansible_collections/distrant"
ln -sfn "${REPO_ROOT}" "${collections}/ansible_collections/distrant/distcc"
export ANSIBLE_COLLECTIONS_PATH="${collections}:${ANSIBLE_COLLECTIONS_PATH:-${HOME}/.ansible/collections}"
# One SSH round trip per task instead of several (the lab's sudo has no requiretty).
export ANSIBLE_PIPELINING="${ANSIBLE_PIPELINING:-True}"
# The lab's machines are Debian with /usr/bin/python3: no warning per host about discovering it.
export ANSIBLE_PYTHON_INTERPRETER="${ANSIBLE_PYTHON_INTERPRETER:-auto_silent}"

# The Vagrantfile reads DISTRANT_* from the environment, else from this file: keep what this
# `make lab` was given, so the inventory plugin and `make lab-down` see the same machines.
settings_file="${VAGRANT_DOTFILE_PATH:-.vagrant}/distrant-settings"
save_settings() {
    local key line merged=""
    mkdir -p "$(dirname "${settings_file}")"
    for key in PROVIDER WORKERS MASTERS MASTER_CPUS MASTER_MEMORY WORKER_CPUS WORKER_MEMORY NETWORK DEBIAN BOX DOCKER_IMAGE \
               DOCKER_CORES LIBVIRT_DRIVER CACHE; do
        line="$(grep -s "^DISTRANT_${key}=" "${settings_file}" || true)"
        if [ -n "$(printenv "DISTRANT_${key}" || true)" ]; then
            line="DISTRANT_${key}=$(printenv "DISTRANT_${key}")"
        fi
        [ -n "${line}" ] && merged+="${line}"$'\n'
    done
    printf '%s' "${merged}" > "${settings_file}"
    [ -s "${settings_file}" ] && log "lab settings (kept for later vagrant calls): $(tr '\n' ' ' < "${settings_file}")"
    return 0
}

# a master of this lab (master, or master-1.. with DISTRANT_MASTERS) was made
lab_is_up() {
    compgen -G "${VAGRANT_DOTFILE_PATH:-.vagrant}/machines/master*" >/dev/null
}

pick_provider() {
    local saved
    if [ -n "${DISTRANT_PROVIDER:-}" ]; then
        echo "${DISTRANT_PROVIDER} (DISTRANT_PROVIDER)"; return
    fi
    # a lab that exists keeps its provider: a second `make lab` changes nothing
    saved="$(sed -n 's/^DISTRANT_PROVIDER=//p' "${settings_file}" 2>/dev/null || true)"
    if [ -n "${saved}" ]; then
        echo "${saved} (this lab's, kept in ${settings_file})"; return
    fi
    # libvirt only where a guest really boots under KVM (under TCG it is correct but far too slow)
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && command -v qemu-system-x86_64 >/dev/null 2>&1 &&
        vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt ' &&
        [ "$(DISTRANT_LIBVIRT_DRIVER='' "${LAB_ROOT}/libvirt.sh" accel 2>/dev/null)" = kvm ]; then
        echo "libvirt (vagrant-libvirt present, and a guest boots under KVM)"; return
    fi
    if command -v VBoxManage >/dev/null 2>&1 && VBoxManage list hostinfo >/dev/null 2>&1; then
        echo "virtualbox (VBoxManage works)"; return
    fi
    echo "docker (no usable hardware virtualization: containers with CPU quotas)"
}

case "${1:-up}" in
    up)
        ensure_pkgs vagrant:vagrant
        choice="$(pick_provider)"
        provider="${choice%% *}"
        log "provider: ${choice}"
        # the Vagrantfile names this provider first, for the machines not created yet (see there)
        export DISTRANT_PROVIDER="${provider}"
        # The Vagrantfile checks the settings (e.g. docker quotas within the cores): refuse them
        # before they are saved or any machine is made.
        vagrant status >/dev/null || die "the lab's settings were refused (above); nothing was created"
        if [ "${provider}" = libvirt ]; then
            "${LAB_ROOT}/libvirt.sh" host
            DISTRANT_LIBVIRT_DRIVER="$("${LAB_ROOT}/libvirt.sh" accel)" || exit 1
            export DISTRANT_LIBVIRT_DRIVER
            # the box built from lab/images/libvirt/, unless the user named one (DISTRANT_BOX)
            box="${DISTRANT_BOX:-$(sed -n 's/^DISTRANT_BOX=//p' "${settings_file}" 2>/dev/null || true)}"
            if [ -z "${box}" ] || [[ "${box}" == distrant-lab/* ]]; then
                suite="${DISTRANT_DEBIAN:-$(sed -n 's/^DISTRANT_DEBIAN=//p' "${settings_file}" 2>/dev/null || true)}"
                DISTRANT_BOX="$(DISTRANT_DEBIAN="${suite:-bookworm}" "${LAB_ROOT}/libvirt.sh" box)" || exit 1
                export DISTRANT_BOX
            fi
        fi
        if [ "${provider}" = docker ]; then
            # the release's image (DISTRANT_DEBIAN, else the one this lab was made with)
            suite="${DISTRANT_DEBIAN:-$(sed -n 's/^DISTRANT_DEBIAN=//p' "${settings_file}" 2>/dev/null || true)}"
            DISTRANT_IMAGE_SUITES="${suite:-bookworm}" "${LAB_ROOT}/images.sh" vagrant >/dev/null
        fi
        save_settings
        site_vars=()
        target="${DISTRANT_LAB_TARGET:-}"
        if [ "${provider}" = libvirt ] && [ "${DISTRANT_LIBVIRT_DRIVER}" = qemu ]; then
            # An emulated lab (TCG) runs every instruction of the guests in software: a compile
            # takes tens of times longer than on real CPUs (docs/lab.md). It builds kernel/ unless
            # told otherwise, and no compile is given up, nor a slow poll taken for a lost master.
            target="${target:-kernel/}"
            site_vars+=(-e distcc_site_io_timeout=1800 -e distcc_site_timeout=21600)
            export ANSIBLE_TIMEOUT="${ANSIBLE_TIMEOUT:-60}"
            log "libvirt under TCG (an emulator): building ${target} of tinyconfig (kernel/: 87 objects;" \
                "the whole job is 451 and a prepare step: hours under TCG, see docs/lab.md);" \
                "DISTRANT_LAB_TARGET=all builds the whole job; distcc's io_timeout 1800 s, the build's timeout 6 h"
        fi
        if [ -n "${target}" ] && [ "${target}" != all ]; then
            site_vars+=(-e "distcc_site_target=${target}")
        fi
        start=$(date +%s)
        vagrant up --provider="${provider}" || die "vagrant up failed (provider ${provider})"
        log "vagrant up: $(( $(date +%s) - start )) s"
        start=$(date +%s)
        # the lab's own settings first: what the user gives after `lab.sh up` wins
        ansible-playbook -i inventories/vagrant.yml playbooks/site.yml "${site_vars[@]}" "${@:2}" ||
            die "site.yml failed; the lab is still up (make lab-down destroys it)"
        log "site.yml: $(( $(date +%s) - start )) s; report: reports/last-build.json (one file per master: reports/last-build-<master>.json)"
        ;;
    bench)
        lab_is_up || die "the lab is not up: run make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/bench.yml "${@:2}" ||
            die "the benchmark failed"
        log "report: reports/benchmark.md, reports/benchmark.json, reports/benchmark.svg"
        ;;
    bench-team)
        lab_is_up || die "the lab is not up: run DISTRANT_MASTERS=2 make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/bench_team.yml "${@:2}" ||
            die "the team benchmark failed"
        log "report: reports/bench-team.md, reports/bench-team.json"
        ;;
    bench-ccache)
        lab_is_up || die "the lab is not up: run DISTRANT_MASTERS=2 DISTRANT_CACHE=worker-1 make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/bench_ccache.yml "${@:2}" ||
            die "the ccache benchmark failed"
        log "report: reports/bench-ccache.md, reports/bench-ccache.json"
        ;;
    farm-status)
        lab_is_up || die "the lab is not up: run make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/farm_status.yml "${@:2}" ||
            die "could not read the farm's status (above)"
        ;;
    bench-backoff)
        lab_is_up || die "the lab is not up: run make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/bench_backoff.yml "${@:2}" ||
            die "the backoff benchmark failed"
        log "report: reports/backoff.md"
        ;;
    bench-provision)
        lab_is_up || die "the lab is not up: run make lab first"
        PYTHONPATH="${collections}${PYTHONPATH:+:${PYTHONPATH}}" \
            python3 -m ansible_collections.distrant.distcc.plugins.plugin_utils._bench_provision ||
            die "a re-run of site.yml was not clean (above)"
        log "report: reports/provision.md, reports/provision.json"
        ;;
    bench-configure)
        lab_is_up || die "the lab is not up: run make lab first"
        ansible-playbook -i inventories/vagrant.yml playbooks/bench_configure.yml "${@:2}" ||
            die "the configure benchmark failed"
        log "report: reports/projects/<project>/bench-configure.md"
        ;;
    bench-transport)
        # rounds of the auto setup, tcp then ssh, the farm switched by site.yml between them (untimed)
        lab_is_up || die "the lab is not up: run make lab first"
        rounds="${DISTRANT_BENCH_ROUNDS:-2}"
        dirs=()
        mkdir -p reports/transport
        # the farm converged on a transport by site.yml, without its build (its output kept in one log)
        farm_on() {
            ansible-playbook -i inventories/vagrant.yml playbooks/site.yml \
                -e distcc_transport="$1" -e distcc_site_build=false >"reports/transport-site.log" 2>&1 ||
                die "site.yml with distcc_transport=$1 failed: reports/transport-site.log"
        }
        for round in $(seq 1 "${rounds}"); do
            for transport in tcp ssh; do
                dir="reports/transport/${transport}-${round}"
                log "round ${round}: the farm on ${transport}"
                farm_on "${transport}"
                log "round ${round}: make bench's auto setup over ${transport}"
                # the transport to bench.yml too: the master role's exports (DISTCC_SSH) follow it
                ansible-playbook -i inventories/vagrant.yml playbooks/bench.yml -e distcc_transport="${transport}" \
                    -e distcc_bench_setups=auto \
                    -e distcc_bench_repeats=1 -e distcc_bench_scaling=false \
                    -e distcc_site_report_dir="${PWD}/${dir}" "${@:2}" ||
                    die "the benchmark over ${transport} failed"
                dirs+=("${dir}")
            done
        done
        farm_on tcp
        PYTHONPATH="${collections}${PYTHONPATH:+:${PYTHONPATH}}" \
            python3 -m ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report transport \
            reports/transport "${dirs[@]}" || die "could not merge the rounds (above)"
        log "report: reports/transport/benchmark.md (the farm is back on tcp)"
        ;;
    down)
        network="${DISTRANT_NETWORK:-$(sed -n 's/^DISTRANT_NETWORK=//p' "${settings_file}" 2>/dev/null || true)}"
        if command -v vagrant >/dev/null 2>&1; then
            vagrant destroy -f || die "vagrant destroy failed (above)"
        fi
        # what an interrupted `vagrant up` left on libvirt, which vagrant no longer knows
        if command -v virsh >/dev/null 2>&1; then
            "${LAB_ROOT}/libvirt.sh" clean "${network:-10.200.1}"
        fi
        rm -f "${settings_file}"
        ;;
    *) die "usage: $0 up|down|bench|bench-ccache|bench-backoff|bench-provision|bench-transport" ;;
esac
