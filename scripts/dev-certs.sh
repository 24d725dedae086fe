#!/usr/bin/env bash
# Makes a throwaway PKI for running Sotto on a developer machine: a local CA, a server certificate for
# localhost and a client certificate for mTLS tests, all EC P-256, in DIR (default .dev/certs).
# Does nothing when DIR/server.crt already exists. Never use these certificates in production.
#
# usage: scripts/dev-certs.sh [DIR]
set -euo pipefail

dir="${1:-.dev/certs}"
days=825

if [ -e "$dir/server.crt" ]; then
    echo "dev certificates already exist in $dir (delete $dir/server.crt to make new ones)"
    exit 0
fi

command -v openssl >/dev/null 2>&1 || {
    echo "dev-certs.sh: the openssl command is needed (Debian: apt-get install openssl)" >&2
    exit 1
}

# Runs openssl quietly; on failure, shows what it said.
quiet_openssl() {
    local output
    if ! output="$(openssl "$@" 2>&1)"; then
        echo "dev-certs.sh: openssl $1 failed:" >&2
        echo "$output" >&2
        exit 1
    fi
}

mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Private keys are created unreadable to others from the start, not chmod-ed afterwards.
umask 077

ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

quiet_openssl req -x509 "${ec[@]}" -keyout "$work/ca.key" -out "$work/ca.crt" -days "$days" \
    -subj "/CN=Sotto development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" >"$work/server.ext"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" >"$work/client.ext"

serial=1000
for name in server client; do
    case "$name" in
        server) subject="/CN=localhost" ;;
        client) subject="/CN=sotto-dev-client" ;;
    esac
    serial=$((serial + 1))
    quiet_openssl req "${ec[@]}" -keyout "$work/$name.key" -out "$work/$name.csr" -subj "$subject"
    quiet_openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "$serial" \
        -days "$days" -extfile "$work/$name.ext" -out "$work/$name.crt"
done

chmod 0600 "$work"/*.key
chmod 0644 "$work"/*.crt
# server.crt goes last: its presence is what says the set is complete.
for file in ca.key ca.crt client.key client.crt server.key server.crt; do
    mv -f "$work/$file" "$dir/$file"
done

echo "made a development CA, server (localhost, 127.0.0.1, ::1) and client certificate in $dir"
