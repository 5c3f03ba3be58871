import ShmDaemon
import ShmKit
import SystemPackage
import Testing

/// Every command an error message tells a user to run must exist today: messages once said
/// `shmctl clean` before there was a shmctl, and it has no `clean` now either.
@Suite("error messages recommend only commands that exist")
struct ErrorAdviceTests {
    /// Commands a message may name: the system's and the project's own that are installed.
    static let existing: Set<String> = [
        "systemctl", "journalctl", "shmd", "shm-writer", "shm-reader", "df", "ls", "rm", "ulimit",
        "usermod", "id", "newgrp", "chown", "chmod", "shmctl",
    ]

    /// shmctl's subcommands (Sources/shmctl/Shmctl.swift).
    static let shmctlCommands: Set<String> = ["list", "status", "watch", "gc", "metrics"]

    /// One value of each `ChannelError` case. `index` has no default, so a new case does not
    /// compile until it is listed here.
    static let channelErrors: [ChannelError] = {
        let call = SystemCallError(call: "mmap", object: "/shmd.demo", errno: .noMemory)
        return [
            .notFound(channel: "demo", object: "/shmd.demo", waited: 0),
            .notFound(channel: "demo", object: "/shmd.demo", waited: 2.5),
            .emptySegment(channel: "demo", object: "/shmd.demo"),
            .messageTooLarge(channel: "demo", size: 2000, limit: 1024),
            .unrepresentable(channel: "demo", reason: "it contains a NUL byte"),
            .headerMismatch(channel: "demo", field: "layout version", expected: "3", found: "99"),
            .permissionDenied(channel: "demo", object: "/shmd.demo"),
            .timedOut(channel: "demo", operation: "send (channel full)", seconds: 0.2),
            .closed(channel: "demo"),
            .invalidName(name: "a/b", reason: "the channel name contains '/'"),
            .invalidArgument(channel: "demo", argument: "timeout", value: -1),
            .invalidUse(channel: "demo", reason: "no message is borrowed: borrow one first"),
            .tooManyClients(channel: "demo", limit: 32),
            .ownedByRunningDaemon(channel: "demo", pid: 42),
            .foreignObject(channel: "demo", path: "/dev/shm/shmd.demo", reason: "it is owned by mallory (uid 1001), group mallory (gid 1001), mode 0666"),
            .corrupt(channel: "demo", detail: "slot 3 has sequence 2000, ahead of the write cursor 0"),
            .truncated(channel: "demo", object: "/shmd.demo", size: 0, expected: 12800),
            .system(channel: "demo", call),
        ]
    }()

    static func index(_ error: ChannelError) -> Int {
        switch error {
        case .notFound: 0
        case .emptySegment: 1
        case .messageTooLarge: 2
        case .unrepresentable: 3
        case .headerMismatch: 4
        case .permissionDenied: 5
        case .timedOut: 6
        case .closed: 7
        case .invalidName: 8
        case .invalidArgument: 9
        case .tooManyClients: 10
        case .ownedByRunningDaemon: 11
        case .foreignObject: 12
        case .corrupt: 13
        case .truncated: 14
        case .system: 15
        case .invalidUse: 16
        }
    }

    /// One value of each `DaemonError` case, and of each hint `channelCreation` gives.
    static let daemonErrors: [DaemonError] = {
        let creation: [Errno] = [.permissionDenied, .notPermitted, .noSpace, .fileExists, .ioError]
        return [
            .config(ConfigError(file: "/etc/shmd/shmd.toml", line: 5, key: "channel[0].slots", reason: "must be between 1 and 65536, not 0")),
            .insufficientSharedMemory(needed: 1 << 30, available: 1 << 20),
        ]
            + creation.map { .channelCreation(channel: "demo", SystemCallError(call: "shm_open", object: "/shmd.demo", errno: $0)) }
            + channelErrors.map { .invalidChannel($0) }
    }()

    static func index(_ error: DaemonError) -> Int {
        switch error {
        case .config: 0
        case .insufficientSharedMemory: 1
        case .channelCreation: 2
        case .invalidChannel: 3
        }
    }

    /// The text between each pair of backquotes in `message`.
    static func quoted(_ message: String) -> [Substring] {
        let parts = message.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
    }

    @Test("the samples cover every case")
    func everyCase() {
        #expect(Set(Self.channelErrors.map(Self.index)).count == 17)
        #expect(Set(Self.daemonErrors.map(Self.index)).count == 4)
    }

    @Test("each backquoted command starts with a command that exists, and a shmctl command with one of its subcommands")
    func commandsExist() {
        let messages = Self.channelErrors.map(\.description) + Self.daemonErrors.map(\.description)
        var commands = 0
        for message in messages {
            #expect(message.split(separator: "`", omittingEmptySubsequences: false).count % 2 == 1, "unbalanced backquotes: \(message)")
            for command in Self.quoted(message) {
                commands += 1
                let first = command.split(separator: " ").first.map(String.init) ?? ""
                #expect(Self.existing.contains(first), "`\(command)` in: \(message)")
                if first == "shmctl" {
                    let sub = command.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                    #expect(Self.shmctlCommands.contains(sub), "`\(command)` in: \(message)")
                }
            }
        }
        // The check looks at something: the messages do recommend commands.
        #expect(commands >= 5)
    }
}
