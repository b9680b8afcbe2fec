# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for `vagrant status --machine-readable` and `vagrant ssh-config` output."""

from __future__ import annotations

import shlex


class VagrantOutputError(ValueError):
    """Output that does not look like vagrant's; the message quotes the bad line."""


def unescape(text):
    return text.replace("%!(VAGRANT_COMMA)", ",").replace("\\n", "\n").replace("\\r", "\r")


def parse_machine_readable(text):
    """Return a list of (target, type, [data...]) from machine-readable output."""
    records = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) < 3 or not parts[0].isdigit():
            raise VagrantOutputError("line %d is not machine-readable vagrant output: %r" % (number, line[:200]))
        records.append((parts[1], parts[2], [unescape(p) for p in parts[3:]]))
    return records


LOCKED_HINT = ("a machine is locked by another vagrant process (a 'vagrant up', 'halt' or 'reload' still running "
               "there?): wait for it to finish, or stop it, then run again")


def is_locked(records):
    """True when vagrant gave up because another vagrant process holds a machine's lock."""
    return any(kind == "error-exit" and data and data[0].endswith("MachineActionLockedError")
               for target, kind, data in records)


def error_message(records):
    """vagrant's own error messages in one line, with a hint when a machine is locked."""
    message = "; ".join(errors_of(records))
    if message and is_locked(records):
        message = "%s. %s" % (LOCKED_HINT, message)
    return message


def errors_of(records):
    """vagrant's own error messages (``ui,error`` and ``error-exit`` records)."""
    messages = []
    for target, kind, data in records:
        if kind == "ui" and data and data[0] == "error":
            messages.append(",".join(data[1:]).strip())
        elif kind == "error-exit" and len(data) > 1:
            messages.append(",".join(data[1:]).strip())
    seen = []
    for message in messages:
        if message and message not in seen:
            seen.append(message)
    return seen


def parse_status(text):
    """Machines in a project: ordered list of dict(name, state, provider)."""
    machines = {}
    order = []
    for target, kind, data in parse_machine_readable(text):
        if not target or kind not in ("state", "provider-name", "metadata"):
            continue
        if target not in machines:
            machines[target] = {"name": target, "state": None, "provider": None}
            order.append(target)
        if kind == "state" and data:
            machines[target]["state"] = data[0]
        elif kind == "provider-name" and data:
            machines[target]["provider"] = data[0]
        elif kind == "metadata" and len(data) >= 2 and data[0] == "provider":
            machines[target]["provider"] = data[1]
    return [machines[name] for name in order]


def parse_ssh_config(text):
    """Blocks of `vagrant ssh-config`: {host: {option_lower: value}}.

    An error found in one machine's block names that machine (its Host line)."""
    hosts = {}
    machine, current = None, None
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, _sep, value = stripped.partition(" ")
        value = value.strip()
        if key.lower() == "host":
            if not value:
                raise VagrantOutputError("ssh-config has a Host line without a machine name (line %r)" % line[:200])
            if value in hosts:
                raise VagrantOutputError("ssh-config has two Host blocks for machine %r" % value[:100])
            machine, current = value, hosts.setdefault(value, {})
        elif current is None:
            raise VagrantOutputError("ssh-config option before any Host line: %r" % stripped[:200])
        else:
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if key.lower() == "port" and not (value.isdigit() and 1 <= int(value) <= 65535):
                raise VagrantOutputError("ssh-config of machine %r (its Host block) gives Port %r, not a port number "
                                         "(1 to 65535)" % (machine[:100], value[:50]))
            current[key.lower()] = value
    return hosts


def connection_vars(ssh):
    """Ansible connection variables from one host's ssh-config options."""
    result = {}
    if "hostname" in ssh:
        result["ansible_host"] = ssh["hostname"]
    if "port" in ssh:
        result["ansible_port"] = int(ssh["port"])
    if "user" in ssh:
        result["ansible_user"] = ssh["user"]
    if "identityfile" in ssh:
        result["ansible_ssh_private_key_file"] = ssh["identityfile"]
    options = []
    for name in ("UserKnownHostsFile", "StrictHostKeyChecking", "IdentitiesOnly", "PasswordAuthentication"):
        if name.lower() in ssh:
            options.append("-o %s=%s" % (name, shlex.quote(ssh[name.lower()])))
    if options:
        result["ansible_ssh_common_args"] = " ".join(options)
    return result
