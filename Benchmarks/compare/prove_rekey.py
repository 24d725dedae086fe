#!/usr/bin/env python3
"""Proves the anchor stack of the comparison does the same work as Sotto: a real call from one baresip
phone (alice) through Kamailio (TLS) + rtpengine (userspace, one thread) to a second baresip (bob), and
a check of both legs' SDP that rtpengine re-keyed: the callee never sees the caller's key and vice versa.

Prints each leg's crypto lines as suite + a short hash of the key (never the key) and rtpengine's
packet counters. Exit status 0 when the call was established both ways, media flowed through rtpengine,
and all four keys differ.

    python3 Benchmarks/compare/prove_rekey.py [--keep-logs DIR] [--seconds 4]

Needs root-free loopback ports 127.0.0.1:5061, 22223-22224 (rtpengine ng/cli), 30000-39999 (rtpengine
media), 15060-15071 / 16060-16071 and 21000-22099 (phones). Debian: kamailio kamailio-tls-modules
rtpengine-daemon baresip-core sox openssl.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402
from anchor import log, procs, sip  # noqa: E402
from e2e_lib.phone import Phone  # noqa: E402

PHONES = {
    "alice": dict(sip_port=15060, rtp_ports=(21000, 21099), ctrl_port=15070, tone_hz=440),
    "bob": dict(sip_port=16060, rtp_ports=(22000, 22099), ctrl_port=16070, tone_hz=660),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-logs", help="copy logs (no private keys) to this directory")
    parser.add_argument("--seconds", type=float, default=4.0, help="call length (default 4)")
    parser.add_argument("--cpu", default="0", help="core for kamailio+rtpengine ('none': no pinning)")
    opts = parser.parse_args()
    cpu = None if opts.cpu == "none" else opts.cpu

    work = tempfile.mkdtemp(prefix="sotto-compare-proof-")
    procs.install_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    ok = False
    stack = None
    try:
        pki = anchor.make_pki(os.path.join(work, "pki"), phones=PHONES)
        stack = anchor.AnchorStack(os.path.join(work, "anchor"), pki, cpu=cpu, sdp_log=True, children=2,
                                   debug=2).start()
        outbound = "sip:%s:%d;transport=tls" % (anchor.RELAY_IP, anchor.RELAY_PORT)
        phones = {}
        for name, spec in PHONES.items():
            phone = Phone(name, os.path.join(work, "phones"), ca=pki.ca,
                          cert_combined=pki.path(name + "-combined.pem"), outbound=outbound,
                          domain=anchor.DOMAIN, **spec)
            phones[name] = phone.start()
        for phone in phones.values():
            phone.wait_registered(15)
        log("alice and bob registered with Kamailio over TLS")
        before, _ = anchor.rtpengine_totals()
        phones["alice"].dial("sip:bob@%s" % anchor.DOMAIN)
        for phone in phones.values():
            phone.proc.wait_for(r"Call established", 15)
        log("call established on both phones; talking %.1f s" % opts.seconds)
        time.sleep(opts.seconds)
        sessions = anchor.rtpengine_cli("list sessions all")
        call_ids = [m.call_id for m in phones["alice"].messages() if m.method == "INVITE"]
        call_id = call_ids[0] if call_ids else None
        session_detail = anchor.rtpengine_cli("list session %s" % call_id) if call_id else ""
        phones["alice"].hangup()
        phones["bob"].proc.wait_for(r"BYE|terminated|closed", 10)
        time.sleep(0.5)
        after, totals_text = anchor.rtpengine_totals()

        # Both legs' SDP as the phones sent and received it (baresip -s traces): alice sent the caller
        # offer and got the caller answer; bob got the callee offer and sent the callee answer.
        def phone_sdp(phone, want_request):
            for m in phone.messages():
                if m.body and ((m.method == "INVITE") if want_request
                               else (m.status == 200 and m.cseq_method == "INVITE")):
                    return m.body
            return ""
        caller_offer = phone_sdp(phones["alice"], True)
        callee_offer = phone_sdp(phones["bob"], True)
        callee_answer = phone_sdp(phones["bob"], False)
        caller_answer = phone_sdp(phones["alice"], False)
        missing = [n for n, b in (("alice INVITE", caller_offer), ("bob INVITE", callee_offer),
                                  ("bob 200", callee_answer), ("alice 200", caller_answer)) if not b]
        if missing:
            raise RuntimeError("no SDP in the phones' traces for %s (call %s)" % (missing, call_id))
        print("rtpengine offer flags : %s" % anchor.OFFER_FLAGS)
        print("rtpengine answer flags: %s" % anchor.ANSWER_FLAGS)
        print("call %s, both legs' SDP as the phones saw it (key# = first 12 hex digits of SHA-256 of the "
              "key material; the keys themselves are never printed):" % call_id)
        ok, lines = anchor.rekey_verdict(caller_offer, callee_offer, callee_answer, caller_answer)
        print("\n".join(lines))

        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        interesting = {k: v for k, v in delta.items() if "packet" in k.lower() or "error" in k.lower()}
        print("rtpengine counters during the call (delta of `list totals`):")
        for k, v in sorted(interesting.items()):
            print("  %-60s %g" % (k, v))
        session_lines = [l for l in session_detail.splitlines()
                         if "packets" in l or "crypto" in l.lower() or "SRTP" in l or "port" in l][:24]
        if session_lines:
            print("rtpengine `list session` during the call (excerpt):")
            for l in session_lines:
                print("  " + l.strip())
        relayed = delta.get("Total relayed packets", 0)
        print("media relayed by rtpengine: %s packets" % (int(relayed) if relayed else "unknown (see counters)"))
        with open(os.path.join(work, "totals.txt"), "w") as f:
            f.write(totals_text + "\n" + sessions + "\n" + session_detail)
        if relayed < 100:
            print("too few packets went through rtpengine during the call")
            ok = False
        print("PROOF %s" % ("PASSED: the anchor re-keys" if ok else "FAILED"))
    except Exception as error:  # noqa: BLE001 - report and keep the logs
        print("PROOF FAILED: %s" % error)
        ok = False
    finally:
        if stack:
            stack.stop()
        procs.stop_all()
        if opts.keep_logs:
            shutil.rmtree(opts.keep_logs, ignore_errors=True)
            shutil.copytree(work, opts.keep_logs, ignore=shutil.ignore_patterns("*.key", "*-combined.pem"))
            log("logs in %s (they contain throwaway SRTP keys; no private keys)" % opts.keep_logs)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
