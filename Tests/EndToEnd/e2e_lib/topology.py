"""The end-to-end topology, on loopback. Every port is below Linux's ephemeral range (32768-60999), so no
client socket can hold one."""

DOMAIN = "pbx.test"
SOTTO_IP, SOTTO_PORT = "127.0.0.1", 5061
KAM_IP, KAM_PORT = "127.0.0.2", 5061
MEDIA_IP = "127.0.0.1"
MEDIA_PORTS = (20000, 20199)
PROBE_PORT = 29990  # the source port of the in-call UDP probe (its packets are left out of the checker's input)

PHONES = {
    # name: SIP listen port (baresip adds TLS on +1), RTP/RTCP port range, ctrl_tcp port, tone
    "alice": dict(sip_port=15060, rtp_ports=(21000, 21099), ctrl_port=15070, tone_hz=440),
    "bob": dict(sip_port=16060, rtp_ports=(22000, 22099), ctrl_port=16070, tone_hz=660),
    "carol": dict(sip_port=17060, rtp_ports=(23000, 23099), ctrl_port=17070, tone_hz=550),  # plain RTP
    "dave": dict(sip_port=18060, rtp_ports=(24000, 24099), ctrl_port=18070, tone_hz=330),  # no certificate
    "erin": dict(sip_port=19060, rtp_ports=(25000, 25099), ctrl_port=19070, tone_hz=770),  # certificate
}
