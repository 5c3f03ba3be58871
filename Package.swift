// swift-tools-version:6.0
import PackageDescription

// shmd is built on Linux interfaces throughout (POSIX shared memory in /dev/shm, glibc's named
// semaphores, /proc, sd_notify, SIGBUS on a truncated mapping): there is nothing to build elsewhere.
#if !os(Linux)
#error("shmd runs on Linux only: it uses /dev/shm, /proc and systemd")
#endif

let package = Package(
    name: "shmd",
    products: [
        .library(name: "ShmKit", targets: ["ShmKit"]),
        .executable(name: "shmd", targets: ["shmd"]),
        .executable(name: "shm-writer", targets: ["shm-writer"]),
        .executable(name: "shm-reader", targets: ["shm-reader"]),
        .executable(name: "shm-bench", targets: ["shm-bench"]),
        .executable(name: "shmctl", targets: ["shmctl"]),
        .executable(name: "shm-bridge", targets: ["shm-bridge"]),
        // libshmkit for C, C++ and Python (Sources/ShmKitC/include/shmkit.h): ShmKit exported
        // with @c, the Swift runtime linked in, so that `ldd` shows only libc, libm, libstdc++
        // and libgcc. `make install` puts libshmkit.so.1, the header and shmkit.pc in PREFIX.
        .library(name: "shmkit", type: .dynamic, targets: ["ShmKitC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The NATS C client, kept by the NATS maintainers: shm-bridge speaks NATS only through it.
        .systemLibrary(
            name: "CNats",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        .target(name: "CShim"),
        // The client library: what a program needs to attach to a channel and move messages.
        // Its folders are its layers: POSIX (system calls and named objects), Layout (the bytes
        // in shared memory), Protocols (how slots change hands) and Client (the public API).
        .target(
            name: "ShmKit",
            dependencies: [
                "CShim",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["POSIX/README.md", "Layout/README.md", "Protocols/README.md", "Client/README.md"]
        ),
        // The owner's side of a channel: creating, adopting, repairing, inspecting and removing
        // its objects. Only shmd (and the tests and fuzz targets) use it; it reaches ShmKit's
        // internals through `package` access, so none of them is public in the client library.
        .target(
            name: "ShmHost",
            dependencies: [
                "ShmKit",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["README.md"]
        ),
        // What the command-line programs share: the channel options, the exit-code table their
        // help texts are made from, and error reporting.
        .target(
            name: "ShmCLI",
            dependencies: [
                "ShmKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        // The C API: `@c` exports over ShmKit's client API (one implementation of the protocol),
        // the header in include/ (installed, not compiled here). -static-stdlib reaches a dynamic
        // library product only as a linker setting of its target; the soname is versioned.
        .target(
            name: "ShmKitC",
            dependencies: ["ShmKit", "CShim"],
            exclude: ["include", "static-archive.py"],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-soname=libshmkit.so.1"])]
        ),
        .target(
            name: "ShmDaemon",
            dependencies: [
                "ShmKit",
                "ShmHost",
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "shmd",
            dependencies: [
                "ShmDaemon",
                "ShmKit",
                "ShmCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // shm-bridge's parts: the typed wrapper over libnats (NATS/), the bridge.toml model and
        // loader (Config/), and the two directions with what they share (Bridge/).
        .target(
            name: "ShmBridge",
            dependencies: [
                "ShmKit",
                "ShmDaemon",
                "ShmInspect",
                "CNats",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "shm-bridge",
            dependencies: [
                "ShmBridge", "ShmKit", "ShmCLI", "ShmDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "shm-writer",
            dependencies: ["ShmKit", "ShmCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "shm-reader",
            dependencies: ["ShmKit", "ShmCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // What operators' tools read: channels found by their magic in /dev/shm, and reports
        // of their headers and clients, with no request to shmd.
        .target(
            name: "ShmInspect",
            dependencies: [
                "ShmKit",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["channel-report.schema.json"]
        ),
        .executableTarget(
            name: "shmctl",
            dependencies: ["ShmInspect", "ShmKit", "ShmCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "shm-bench",
            dependencies: [
                "ShmKit",
                "CShim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // The C role program is built against libshmkit by `make bench`, as a user's program is.
            exclude: ["Roles"]
        ),
        // Fuzz targets (`make fuzz`). ShmFuzz holds each target's input handling and checks, so
        // that a normal build compiles them and FuzzCorpusTests replays the committed corpus. The
        // four executables are libFuzzer entries only in the fuzz build (`--sanitize=fuzzer
        // -Xswiftc -DSHM_FUZZING`, which also links libFuzzer's own main); otherwise each is a
        // small program that replays input files once and writes the seed corpus.
        .target(name: "ShmFuzz", dependencies: ["ShmKit", "ShmHost", "ShmDaemon"], path: "Sources/Fuzz/ShmFuzz"),
        .executableTarget(name: "fuzz-header", dependencies: ["ShmFuzz"], path: "Sources/Fuzz/fuzz-header"),
        .executableTarget(name: "fuzz-client-table", dependencies: ["ShmFuzz"], path: "Sources/Fuzz/fuzz-client-table"),
        .executableTarget(name: "fuzz-repair", dependencies: ["ShmFuzz"], path: "Sources/Fuzz/fuzz-repair"),
        .executableTarget(name: "fuzz-config", dependencies: ["ShmFuzz"], path: "Sources/Fuzz/fuzz-config"),
        // What the test targets share: child processes with deadlines, waiting, locking, paths.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "ShmKitTests",
            dependencies: ["ShmKit", "ShmHost", "TestSupport", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(
            name: "ShmDaemonTests",
            dependencies: [
                "ShmDaemon", "ShmKit", "ShmHost", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["ShmFuzz"]),
        .testTarget(name: "ShmBridgeTests", dependencies: ["ShmBridge", "ShmDaemon"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ShmKit", "TestSupport", "shmd", "shm-writer", "shm-reader", "shm-bench", "shm-bridge"],
            exclude: ["C"]
        ),
        // shmd under a real systemd booted in namespaces (sandbox.sh); depends on the executables
        // so that they are built, and installs them inside the sandbox with `make install-files`.
        .testTarget(
            name: "ShmInspectTests",
            dependencies: ["ShmInspect", "ShmKit"]
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["TestSupport", "shmd", "shm-writer", "shm-reader", "shmctl"],
            exclude: ["sandbox.sh"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
