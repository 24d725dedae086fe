extension SottoConfig {
    /// Every key of the config file with the value in use, as section → key → value, for `sottoctl config`.
    ///
    /// Walked from the same table that reads the file and the flags, so a key cannot be read without being
    /// listed. Each value has the type its key takes in the file (``ConfigValue``): integers in the unit the
    /// key's name gives (`_s`, `_ms`), booleans, arrays of strings, strings (`media.ports` as `LOW-HIGH`). Three keys show the value
    /// in use rather than an empty string, because Sotto works them out from others when they are empty:
    /// `sip.advertised_host`, `upstream.server_name` and `media.advertised_ip`.
    ///
    /// Nothing secret can be listed: the keys about certificates and private keys (`sip.cert`, `sip.key`,
    /// `sip.ca`, `upstream.client_cert`, `upstream.client_key`) hold only the paths of the PEM files, which is
    /// what is shown; the config never holds the files' contents or any key material.
    public func effectiveValues() -> [String: [String: ConfigValue]] {
        var values: [String: [String: ConfigValue]] = [:]
        for key in ConfigKey.all {
            values[key.section, default: [:]][key.name] = key.show(self)
        }
        return values
    }
}
