import Foundation

/// The build products folder: the executables a test runs (`sotto`, `sottoctl`, the fixtures) sit beside the test
/// binary there.
public enum BuildProducts {
    /// The folder holding the running test binary.
    public static let directory: String =
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path

    /// The absolute path of the product `name`: beside the test binary, or (on layouts where the test binary
    /// sits inside a bundle) in the nearest folder above it that holds it.
    public static func path(_ name: String) -> String {
        var folder = URL(fileURLWithPath: directory)
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        let found = folder.appendingPathComponent(name).path
        return FileManager.default.fileExists(atPath: found) ? found : directory + "/" + name
    }
}
