import Foundation

/// Where `swift build` put the package's executables: next to the test bundle.
public enum Executables {
    public static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe)
        // .build/<triple>/debug/shmdPackageTests.xctest is the binary itself on Linux.
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("shmd").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    public static func path(_ name: String) -> String { directory + "/" + name }
}
