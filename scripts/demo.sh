#!/usr/bin/env bash
# make demo: sotto with the development certificates and sotto-loadgen against it, so a newcomer sees encrypted
# calls flow and the generator's report in one command. BIN is where sotto and sotto-loadgen were built.
set -euo pipefail
bin="${1:?usage: scripts/demo.sh BIN_DIR}"
dir=.dev/demo
mkdir -p "$dir"
# The generator's PBX side listens on 127.0.0.2 and the softphones connect from 127.0.0.1: Sotto tells the PBX from
# the phones by address (upstream.trusted_addresses defaults to the upstream's). The development certificate names
# localhost, hence server_name.
cat > "$dir/sotto.toml" <<'TOML'
[sip]
listen = "127.0.0.1:5061"
cert = "../certs/server.crt"
key = "../certs/server.key"
ca = "../certs/ca.crt"

[upstream]
address = "127.0.0.2:5062"
server_name = "localhost"

[media]
ip = "127.0.0.1"
ports = "30000-30999"

[admin]
socket = "../demo-admin.sock"
audit_log = "admin-audit.jsonl"

# A demo on a developer machine; run as root (a container), Sotto would otherwise refuse to start.
[process]
allow_root = true
TOML
"$bin/sotto" --config "$dir/sotto.toml" 2> "$dir/sotto.log" &
sotto=$!
trap 'kill -TERM $sotto 2>/dev/null || true; wait $sotto 2>/dev/null || true' EXIT
echo "sotto is running (pid $sotto, log $dir/sotto.log); sotto-loadgen places 40 calls through it:"
status=0
"$bin/sotto-loadgen" --relay 127.0.0.1:5061 --listen 127.0.0.2:5062 --server-name localhost \
    --cert .dev/certs/server.crt --key .dev/certs/server.key --ca .dev/certs/ca.crt \
    --calls 40 --concurrency 40 --hold 5 --codec opus --json "$dir/report.json" || status=$?
echo
echo "sotto's last call, as it logged it (keys never appear in its log):"
grep 'call ended' "$dir/sotto.log" | tail -1 || true
echo "the report as JSON: $dir/report.json"
exit $status
