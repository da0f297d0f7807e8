#!/usr/bin/env bash
# Install Debian's Dovecot IMAP server for the real-IMAP tests of the e-mail gateway
# (tests/servicedesk/mail). Idempotent: does nothing when dovecot is already there.
# The tests start their own private dovecot instance; this script never configures
# or starts the system service.
set -euo pipefail

if [ -x /usr/sbin/dovecot ]; then
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=sudo
    else
        echo "dovecot missing: run 'sudo apt-get install dovecot-imapd' for the IMAP tests" >&2
        exit 0
    fi
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends dovecot-imapd
# The package enables and starts the system service; the tests do not need it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
fi
