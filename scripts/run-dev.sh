#!/usr/bin/env bash
# make run: sotto in the foreground with CONFIG (default conf/sotto.toml). When the config's PBX ([upstream]
# address) is not set, or nothing accepts a TCP connection there within about 1 s, the test PBX
# (`sotto-loadgen pbx`: a registrar, an echo and a tone extension) is started first on loopback at that address,
# with a development certificate, so that a softphone can register and call at once; it is stopped when sotto
# exits (Ctrl-C). Prints what to point a softphone at.
#
# usage: scripts/run-dev.sh BIN_DIR [CONFIG]
#   BIN_DIR holds sotto, sottoctl and sotto-loadgen. SOTTO_DEV_CERTS names the development PKI made by
#   scripts/dev-certs.sh (default .dev/certs); SOTTO_DEV_LOG_DIR where the test PBX's log goes (default .dev).
set -euo pipefail

bin="${1:?usage: scripts/run-dev.sh BIN_DIR [CONFIG]}"
config="${2:-conf/sotto.toml}"
certs="${SOTTO_DEV_CERTS:-.dev/certs}"
log_dir="${SOTTO_DEV_LOG_DIR:-.dev}"
default_pbx="127.0.0.1:5062"

for tool in sotto sotto-loadgen; do
    [ -x "$bin/$tool" ] || { echo "run-dev.sh: $bin/$tool is not built" >&2; exit 2; }
done

# The few values this script needs from the config, read with Python's TOML parser (paths made absolute from
# the config's directory, as Sotto takes them). Output: one `key=value` line each.
read_config() {
    python3 - "$1" <<'PY'
import os, re, sys, tomllib
path = sys.argv[1]
with open(path, "rb") as f:
    conf = tomllib.load(f)
base = os.path.dirname(os.path.abspath(path))
def absolute(value):
    return os.path.normpath(os.path.join(base, value)) if value else ""
upstream = conf.get("upstream", {})
address = str(upstream.get("address", "")).strip()
host, port = "", ""
if address:
    # The accepted forms: host:port, host, sips:host[:port], sip:host[:port];transport=tls ([v6] in brackets).
    text = re.sub(r"^sips?:", "", address).split(";")[0]
    found = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:]+)(?::(\d+))?", text)
    if found:
        host = found.group(1) or found.group(3)
        port = found.group(2) or found.group(4) or "5061"
sip, media, admin = conf.get("sip", {}), conf.get("media", {}), conf.get("admin", {})
values = {
    "upstream_host": host, "upstream_port": port,
    "server_name": str(upstream.get("server_name", "")) or host,
    "sip_listen": str(sip.get("listen", "0.0.0.0:5061")), "sip_ca": absolute(sip.get("ca", "")),
    "media_ip": str(media.get("ip", "127.0.0.1")),
    "admin_socket": absolute(admin.get("socket", "/run/sotto/admin.sock")),
    # Who has an admin role (the defaults: root is an admin), for the hint below.
    "admin_roles": " ".join(str(x) for key, default in (("viewers", []), ("operators", []), ("admins", ["uid:0"]))
                            for x in admin.get(key, default)),
}
for key, value in values.items():
    print("%s=%s" % (key, value))
PY
}

declare -A conf
while IFS='=' read -r name value; do conf[$name]="$value"; done < <(read_config "$config")

# True when something accepts a TCP connection at HOST PORT within 1 s.
reachable() {
    python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

is_loopback() {
    case "$1" in 127.*|::1|localhost) return 0 ;; *) return 1 ;; esac
}

pbx_host="${conf[upstream_host]}"
pbx_port="${conf[upstream_port]}"
sotto_extra=()
start_pbx=no
if [ -z "$pbx_host" ]; then
    pbx_host="${default_pbx%:*}"
    pbx_port="${default_pbx##*:}"
    sotto_extra+=(--upstream "$default_pbx")
    echo "run-dev: $config names no PBX ([upstream] address): starting the test PBX at $default_pbx"
    start_pbx=yes
elif reachable "$pbx_host" "$pbx_port"; then
    echo "run-dev: the PBX at $pbx_host:$pbx_port answers: no test PBX"
elif is_loopback "$pbx_host"; then
    echo "run-dev: nothing answers at $pbx_host:$pbx_port (the config's PBX): starting the test PBX there"
    start_pbx=yes
else
    echo "run-dev: the PBX at $pbx_host:$pbx_port is not reachable and not on this machine: no test PBX" \
        "(Sotto keeps retrying it)"
fi

pbx_pid=""
cleanup() {
    if [ -n "$pbx_pid" ] && kill -0 "$pbx_pid" 2>/dev/null; then
        kill -TERM "$pbx_pid" 2>/dev/null || true
        wait "$pbx_pid" 2>/dev/null || true
        echo "run-dev: test PBX stopped"
    fi
}
trap cleanup EXIT

if [ "$start_pbx" = yes ]; then
    [ "$pbx_host" = localhost ] && pbx_host=127.0.0.1
    # The PBX's certificate must carry the name Sotto checks (upstream.server_name, else the address's host) and
    # chain to the development CA (sip.ca). The development server certificate names localhost, 127.0.0.1 and
    # ::1; for any other name one is issued from the development CA, once.
    name="${conf[server_name]}"
    pbx_cert="$certs/server.crt"
    pbx_key="$certs/server.key"
    if [[ "$name" =~ ^[0-9.]+$|: ]]; then check=(-checkip "$name"); else check=(-checkhost "$name"); fi
    if ! openssl x509 -in "$pbx_cert" -noout "${check[@]}" 2>/dev/null | grep -q "does match"; then
        safe="$(printf '%s' "$name" | tr -c 'A-Za-z0-9.-' '_')"
        pbx_cert="$certs/pbx-$safe.crt"
        pbx_key="$certs/pbx-$safe.key"
        if [ ! -f "$pbx_cert" ]; then
            if [[ "$name" =~ ^[0-9.]+$|: ]]; then san="IP:$name"; else san="DNS:$name"; fi
            (
                umask 077
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pbx_key" \
                    -out "$pbx_cert.csr" -subj "/CN=$name" 2>/dev/null
                printf '%s\n' "subjectAltName=$san" "basicConstraints=critical,CA:FALSE" \
                    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" >"$pbx_cert.ext"
                openssl x509 -req -in "$pbx_cert.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" \
                    -set_serial "$((RANDOM * 32768 + RANDOM))" -days 825 -extfile "$pbx_cert.ext" -out "$pbx_cert" \
                    2>/dev/null
                chmod 0644 "$pbx_cert"
                rm -f "$pbx_cert.csr" "$pbx_cert.ext"
            )
            echo "run-dev: issued $pbx_cert for $name from the development CA"
        fi
    fi
    if [ "$(realpath -m "${conf[sip_ca]}")" != "$(realpath -m "$certs/ca.crt")" ]; then
        echo "run-dev: note: sip.ca is ${conf[sip_ca]}, not the development CA $certs/ca.crt: Sotto may not" \
            "trust the test PBX's certificate"
    fi
    # The PBX's media must not be on Sotto's own media IP: Sotto refuses its own address outside its media
    # ports as a peer's media address (media.allowed_peer_networks), so the test PBX takes another loopback IP.
    pbx_media="$pbx_host"
    if [ "$pbx_media" = "${conf[media_ip]}" ]; then
        pbx_media=127.0.0.2
        [ "${conf[media_ip]}" = 127.0.0.2 ] && pbx_media=127.0.0.3
    fi
    mkdir -p "$log_dir"
    setsid "$bin/sotto-loadgen" pbx --listen "$pbx_host:$pbx_port" --cert "$pbx_cert" --key "$pbx_key" \
        --media-ip "$pbx_media" 2> >(trap '' INT TERM; exec tee "$log_dir/test-pbx.log" >&2) &
    pbx_pid=$!
    for _ in $(seq 50); do
        reachable "$pbx_host" "$pbx_port" && break
        kill -0 "$pbx_pid" 2>/dev/null || { echo "run-dev: the test PBX did not start" >&2; exit 1; }
        sleep 0.1
    done
    reachable "$pbx_host" "$pbx_port" || { echo "run-dev: the test PBX does not listen" >&2; exit 1; }
    echo "run-dev: test PBX (pid $pbx_pid) at $pbx_host:$pbx_port; its log is also in $log_dir/test-pbx.log"
fi

listen="${conf[sip_listen]}"
sip_host="${listen%:*}"
sip_port="${listen##*:}"
case "$sip_host" in 0.0.0.0|"[::]") sip_host=127.0.0.1 ;; esac
cat <<EOF

  Sotto listens for softphones on $sip_host:$sip_port (SIP over TLS, SRTP only).
  baresip: add to ~/.baresip/accounts
      <sip:alice@$sip_host;transport=tls>;outbound="sip:$sip_host:$sip_port;transport=tls";mediaenc=srtp-mand;regint=600
  and to ~/.baresip/config
      sip_cafile        $(realpath -m "$certs/ca.crt")
  (any softphone: SIP over TLS to $sip_host:$sip_port, SRTP with SDES required, that CA trusted).
EOF
if [ "$start_pbx" = yes ]; then
    cat <<EOF
  Call echo (or 600) to hear yourself, tone (or 601) for a tone: in baresip, "/dial echo".
EOF
fi
cat <<EOF
  Watch the call: $(realpath -m "$bin/sottoctl") watch --socket ${conf[admin_socket]}
EOF
# sottoctl's role comes from the caller's uid ([admin] in the config); say so when this user has none listed.
me_uid="$(id -u)"
me_name="$(id -un)"
if ! [[ " ${conf[admin_roles]} " == *" uid:$me_uid "* || " ${conf[admin_roles]} " == *" user:$me_name "* ]]; then
    cat <<EOF
  (sottoctl answers only users with a role: as $me_name, add viewers = ["uid:$me_uid"] under [admin] in
  $config, unless a group of yours is listed there)
EOF
fi
cat <<EOF
  Ctrl-C stops Sotto$([ "$start_pbx" = yes ] && echo " and the test PBX").

EOF

# Sotto refuses to run as root unless told to; a development run as root (a container) is told to.
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
# Sotto and the test PBX run in sessions of their own, so that Ctrl-C reaches only this script (and the tee above,
# which ignores it and ends when the PBX's output does), which passes one
# SIGTERM to Sotto (it drains calls, BYE going to a PBX that is still there) and stops the PBX once Sotto has
# exited. A second Ctrl-C is passed on too: Sotto then ends every call at once.
setsid "$bin/sotto" --config "$config" "${sotto_extra[@]}" "${root_flag[@]}" &
sotto_pid=$!
trap 'kill -TERM "$sotto_pid" 2>/dev/null || true' INT TERM
while :; do
    status=0
    wait "$sotto_pid" || status=$?
    kill -0 "$sotto_pid" 2>/dev/null || break
done
exit "$status"
