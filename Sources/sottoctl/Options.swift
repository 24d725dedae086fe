import ArgumentParser

/// `--socket PATH`.
struct SocketOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The admin socket (default: $SOTTO_ADMIN_SOCKET, else \(AdminClient.defaultPath)).",
            valueName: "path"))
    var socket: String?

    /// The path to connect to.
    var path: String { AdminClient.resolvePath(socket) }
}

/// `--json`.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON (pretty, keys sorted) instead of a table.")
    var json = false
}
