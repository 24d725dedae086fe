"""A throwaway PKI made with the openssl CLI: one CA, server certificates for Sotto and Kamailio,
client certificates for the phones, and one combined PEM (certificate + key) per phone, which is what
baresip's `sip_certificate` wants."""

import os
import subprocess

OPENSSL = "/usr/bin/openssl"


class PKI:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.ca = os.path.join(directory, "ca.pem")
        self._serial = 1000

    def path(self, name):
        return os.path.join(self.directory, name)

    def _run(self, *args):
        result = subprocess.run(
            [OPENSSL, *args], cwd=self.directory, capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError("openssl %s failed: %s" % (" ".join(args), result.stderr.strip()))

    def make_ca(self):
        self._run(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sotto E2E Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )
        return self.ca

    def issue(self, name, common_name, san=None, server=True, client=True):
        """Issues NAME.pem (certificate) and NAME.key, and NAME-combined.pem (both, for baresip)."""
        usages = [u for u, wanted in (("serverAuth", server), ("clientAuth", client)) if wanted]
        ext_lines = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyAgreement"]
        ext_lines.append("extendedKeyUsage=" + ",".join(usages))
        if san:
            ext_lines.append("subjectAltName=" + san)
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("\n".join(ext_lines) + "\n")
        self._run(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name,
        )
        self._serial += 1
        self._run(
            "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", str(self._serial), "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem",
        )
        combined = self.path(name + "-combined.pem")
        with open(combined, "w") as out:
            for part in (name + ".pem", name + ".key"):
                with open(self.path(part)) as f:
                    out.write(f.read())
        os.chmod(self.path(name + ".key"), 0o600)
        os.chmod(combined, 0o600)
        return self.path(name + ".pem"), self.path(name + ".key"), combined


def make_pki(directory, phones):
    """CA, `sotto` (IP:127.0.0.1), `kamailio` (IP:127.0.0.2) and one client certificate per phone."""
    pki = PKI(directory)
    pki.make_ca()
    pki.issue("sotto", "sotto.test", san="IP:127.0.0.1,DNS:sotto.test")
    pki.issue("kamailio", "pbx.test", san="IP:127.0.0.2,DNS:pbx.test")
    for phone in phones:
        # A phone's certificate also serves its own TLS listener (baresip 1.0 always opens one).
        pki.issue(phone, phone + ".phone.test", san="IP:127.0.0.1,DNS:%s.phone.test" % phone)
    return pki
