import Foundation

/// The package's root folder, where Package.swift is.
public enum PackageRoot {
    /// This file is Tests/TestSupport/PackageRoot.swift.
    public static let path: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
