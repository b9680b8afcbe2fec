# distrant.distcc: the targets are the interface.
#   make lab       bring the Vagrant lab up, build a kernel across it, print the report
#   make lab-down  destroy the Vagrant lab
#   make farm-status  what every worker of the lab runs and queues, and for which master
#   make test      everything CI runs (lint, sanity, unit, molecule), stops at the first failure
#   make test-libvirt  the lab on libvirt VMs, tested (not in make test: TCG is slow)
# Caches (images, venv, downloads) live in $(DISTRANT_LAB_HOME), outside the git tree.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export DISTRANT_LAB_HOME ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/distrant-lab
export ANSIBLE_HOME ?= $(CURDIR)/.ansible
export ANSIBLE_FORCE_COLOR ?= 1
export PY_COLORS ?= 1
SCENARIOS ?= default vagrant trixie team

RUN = lab/run

.PHONY: help deps docker images venv test lint yamllint ansible-lint sanity unit integration molecule test-libvirt \
        collection lab lab-down farm-status bench bench-team bench-ccache bench-backoff bench-provision \
        bench-configure bench-transport clean

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

docker: ## make sure a Docker engine runs (installs docker.io, starts dockerd)
	@lab/docker-engine.sh

images: ## build the lab's images locally (only when their recipe changed)
	@lab/images.sh

venv: ## create the pinned Python venv (only when lab/requirements.txt changed)
	@lab/venv.sh >/dev/null

deps: docker images venv ## everything the tests and the lab need

test: deps lint sanity unit integration molecule ## everything CI runs, in order, stopping at the first failure
	@echo "make test: all passed"

lint: yamllint ansible-lint ## yamllint, then ansible-lint (production profile)

yamllint:
	$(RUN) yamllint --strict .

ansible-lint:
	$(RUN) ansible-lint --profile production --strict

sanity: ## ansible-test sanity on a copy of the collection
	@$(RUN) lab/sanity.sh

unit: ## pytest unit tests (some run make, gcc and the distcc client for real: installed when missing)
	@source lab/lib.sh && ensure_pkgs make:make gcc:gcc timeout:coreutils distcc:distcc ccache:ccache
	$(RUN) python -m pytest -q tests/unit

integration: ## pytest integration tests with real Vagrant (docker provider)
	@lab/vagrant-key.sh public >/dev/null
	@# the lab must work where vagrant-libvirt is installed and libvirtd does not run: test it there
	@lab/libvirt.sh plugin
	$(RUN) python -m pytest -q tests/integration

molecule: ## the molecule scenarios (SCENARIOS="default vagrant trixie team")
	@lab/vagrant-key.sh public >/dev/null
	@case " $(SCENARIOS) " in *" trixie "*) DISTRANT_IMAGE_SUITES=trixie lab/images.sh systemd >/dev/null;; esac
	@mkdir -p .cache
	@for s in $(SCENARIOS); do \
	  $(RUN) python lab/preflight_networks.py molecule/$$s/molecule.yml; \
	  $(RUN) molecule test -s $$s 2>&1 | tee .cache/molecule-$$s.log \
	    || { lab/failures.sh .cache/molecule-$$s.log; exit 1; }; \
	done

test-libvirt: venv ## the lab on libvirt VMs (master + 1 worker; not in make test: about 30 min under TCG)
	@lab/vagrant-key.sh public >/dev/null
	@mkdir -p .cache
	$(RUN) molecule test -s libvirt 2>&1 | tee .cache/molecule-libvirt.log \
	  || { lab/failures.sh .cache/molecule-libvirt.log; exit 1; }

collection: ## build the collection tarball
	$(RUN) ansible-galaxy collection build --force --output-path .cache/

lab: deps ## bring the Vagrant lab up, run site.yml, print the build report
	@$(RUN) lab/lab.sh up

lab-down: ## destroy the Vagrant lab
	@$(RUN) lab/lab.sh down

farm-status: venv ## every worker's compiles running and queued, and what each master sent it (the lab)
	@$(RUN) lab/lab.sh farm-status

bench: deps ## benchmark setups side by side on the lab (DISTRANT_BENCH_REPEATS, default 3)
	@$(RUN) lab/lab.sh bench

bench-team: deps ## several masters building at once on shared workers, then each alone (DISTRANT_MASTERS=2 make lab first)
	@$(RUN) lab/lab.sh bench-team

bench-ccache: deps ## ccache cold, warm, edited and from another master (DISTRANT_MASTERS=2 DISTRANT_CACHE=worker-1 make lab first)
	@$(RUN) lab/lab.sh bench-ccache

bench-backoff: deps ## measure distcc's backoff period on the lab (DISTRANT_BENCH_BACKOFF_PERIODS=0,10,60)
	@$(RUN) lab/lab.sh bench-backoff

bench-configure: deps ## an autotools project's configure step, plain against -C, ccache and distcc, beside its make bench rows (DISTRANT_BENCH_PROJECT)
	@$(RUN) lab/lab.sh bench-configure

bench-transport: deps ## the auto setup over tcp and over ssh, rounds interleaved (DISTRANT_BENCH_ROUNDS, default 2)
	@$(RUN) lab/lab.sh bench-transport

bench-provision: deps ## time re-runs of site.yml (build off) on the converged lab (DISTRANT_BENCH_PROVISION_RUNS, default 5)
	@$(RUN) lab/lab.sh bench-provision

clean: ## remove the repository's local state (not the caches)
	rm -rf .ansible .cache .pytest_cache reports
