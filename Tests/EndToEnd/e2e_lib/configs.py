"""Config files for Kamailio, baresip and Sotto, rendered from Tests/EndToEnd/templates."""

import os
import re
import subprocess

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


def render(template_name, values):
    with open(os.path.join(TEMPLATES, template_name)) as f:
        text = f.read()

    def replace(match):
        key = match.group(1)
        if key not in values:
            raise KeyError("template %s needs {{%s}}" % (template_name, key))
        return str(values[key])

    return re.sub(r"\{\{([A-Z_]+)\}\}", replace, text)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def kamailio_files(directory, pki, ip, port, domain, passwords, debug=2):
    """Kamailio's config and TLS profile. `passwords` maps each user to the digest password Kamailio checks
    (route[PASSWORD] of the template): letters and digits only, so it needs no quoting."""
    os.makedirs(directory, exist_ok=True)
    for user, password in passwords.items():
        if not (re.fullmatch(r"[A-Za-z0-9]+", user) and re.fullmatch(r"[A-Za-z0-9]+", password)):
            raise ValueError("user names and passwords must be letters and digits: %r" % user)
    cases = "\n".join('\t\tcase "%s":\n\t\t\t$var(pw) = "%s";\n\t\t\tbreak;' % item
                      for item in sorted(passwords.items()))
    tls_cfg = write(
        os.path.join(directory, "tls.cfg"),
        render("tls.cfg", {"KAM_CERT": pki.path("kamailio.pem"), "KAM_KEY": pki.path("kamailio.key"), "CA": pki.ca}),
    )
    module_path = KAMAILIO_MODULES
    if not os.path.isdir(module_path):
        # Another architecture: ask the package where its modules went.
        out = subprocess.run(["dpkg", "-L", "kamailio"], capture_output=True, text=True, timeout=30).stdout
        found = [line for line in out.splitlines() if line.endswith("/modules/tm.so")]
        if found:
            module_path = os.path.dirname(found[0]) + "/"
    cfg = write(
        os.path.join(directory, "kamailio.cfg"),
        render(
            "kamailio.cfg",
            {"DEBUG": debug, "DOMAIN": domain, "KAM_IP": ip, "KAM_PORT": port, "MODULE_PATH": module_path,
             "TLS_CFG": tls_cfg, "PASSWORDS": cases},
        ),
    )
    return cfg


def baresip_dir(directory, *, sip_listen, ca, cert, tone, rtp_ports, ctrl_port, account, net_interface="127.0.0.1",
                rtcp_mux=False):
    """A baresip config directory (`baresip -f DIR`): config, accounts, empty contacts."""
    os.makedirs(directory, exist_ok=True)
    cert_line = ("sip_certificate\t\t%s" % cert) if cert else "# no sip_certificate: this phone has no client certificate"
    write(
        os.path.join(directory, "config"),
        render(
            "baresip-config",
            {"SIP_LISTEN": sip_listen, "CERT_LINE": cert_line, "CA": ca, "TONE": tone,
             "RTP_PORTS": "%d-%d" % rtp_ports, "RTCP_MUX": "yes" if rtcp_mux else "no",
             "NET_INTERFACE": net_interface, "CTRL_PORT": ctrl_port},
        ),
    )
    write(os.path.join(directory, "accounts"), render("baresip-accounts", {"ACCOUNT": account}))
    write(os.path.join(directory, "contacts"), "")
    return directory


def account_line(user, domain, outbound, mediaenc="srtp-mand", regint=600, answermode="auto", auth_pass=None):
    parts = ["<sip:%s@%s;transport=tls>" % (user, domain), "regint=%d" % regint,
             'outbound="%s"' % outbound]
    if auth_pass:
        # The digest password for the PBX's 401/407 challenges (the user name is the AOR's user part).
        parts.append("auth_pass=" + auth_pass)
    if mediaenc:
        parts.append("mediaenc=" + mediaenc)
    parts += ["answermode=" + answermode, "audio_codecs=PCMU"]
    return ";".join(parts)


def sotto_toml(path, *, listen, cert, key, ca, require_client_cert, upstream, media_ip, media_ports, admin_socket,
               sip_extra=None, calls_extra=None):
    """Sotto's TOML config; `sip_extra` and `calls_extra` are more keys ({name: TOML value text}) for the
    [sip] and [calls] tables."""
    def lines(extra):
        return "\n".join("%s = %s" % item for item in sorted((extra or {}).items()))

    text = render(
        "sotto.toml",
        {"LISTEN": listen, "CERT": cert, "KEY": key, "CA": ca,
         "REQUIRE_CLIENT_CERT": "true" if require_client_cert else "false", "UPSTREAM": upstream,
         "MEDIA_IP": media_ip, "MEDIA_PORTS": "%d-%d" % media_ports, "ADMIN_SOCKET": admin_socket,
         "AUDIT_LOG": os.path.join(os.path.dirname(admin_socket), "admin-audit.jsonl"),
         "SIP_EXTRA": lines(sip_extra), "CALLS_EXTRA": lines(calls_extra)},
    )
    return write(path, text)


def make_tone(path, frequency, seconds=30):
    """An 8 kHz mono s16 WAV sine, what baresip's aufile source wants."""
    subprocess.run(
        ["sox", "-q", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", path,
         "synth", str(seconds), "sine", str(frequency), "vol", "0.5"],
        check=True, timeout=30, capture_output=True,
    )
    return path
