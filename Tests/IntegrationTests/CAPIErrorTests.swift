import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// Every failure of libshmkit's C API (Tests/IntegrationTests/C/shmkit_errors.c): its status
/// code, its kind, and the text of shmkit_last_error(), which is the text shm-writer or
/// shm-reader print for the same failure (after `shm-writer: `) wherever they can meet it.
@Suite("libshmkit: every error of the C API, with the commands' codes and texts")
struct CAPIErrorTests {
    static let channels = """
        [[channel]]
        name = "small"
        slots = 1
        slot-size = 16

        [[channel]]
        name = "closing"
        slots = 4
        slot-size = 16
        """

    // enum shmkit_error_kind
    static let notFound: Int32 = 1
    static let closed: Int32 = 2
    static let tooLarge: Int32 = 4
    static let timeout: Int32 = 8
    static let permission: Int32 = 9
    static let invalidArgument: Int32 = 10
    static let invalidName: Int32 = 11

    typealias Call = CallReport.Call

    /// What a command printed on stderr for a failure, without its name and newline.
    static func message(_ result: Finished, of program: String) -> String {
        let line = result.stderr.split(separator: "\n").last { $0.hasPrefix("\(program): ") } ?? ""
        return String(line.dropFirst(program.count + 2))
    }

    static func use(_ reason: String, channel: String = "small") -> String { "invalid use of channel '\(channel)': \(reason)" }
    static func usage(_ reason: String, channel: String = "small") -> Call { Call(status: 64, kind: invalidArgument, text: use(reason, channel: channel)) }
    static func seconds(_ argument: String, _ value: String) -> Call {
        Call(
            status: 64, kind: invalidArgument,
            text: "invalid \(argument) \(value) for channel 'small': give a number of seconds, 0 or more (+infinity for no limit)")
    }
    static let ok = Call(status: 0, kind: 0, text: "")

    @Test("bad arguments, unknown channels, too large, timeouts, misuse and closed handles: code, kind and text of each")
    func everyError() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(channels: Self.channels)
        let p = daemon.prefix

        // What the commands print for the failures they share with the C API.
        func command(_ name: String, _ arguments: [String], status: Int32) throws -> String {
            let result = try daemon.client(name, arguments)
            #expect(result.status == status, "\(name) \(arguments): \(result)")
            return Self.message(result, of: name)
        }
        let writerUnknown = try command("shm-writer", ["nothing", "--message", "x"], status: 69)
        let readerUnknown = try command("shm-reader", ["nothing"], status: 69)
        let readerUnknownWaited = try command("shm-reader", ["nothing", "--wait", "0.3"], status: 69)
        let writerInvalid = try command("shm-writer", ["a/b", "--message", "x"], status: 64)
        let readerInvalid = try command("shm-reader", ["a/b"], status: 64)
        let tooLarge = try command("shm-writer", ["small", "--message", "seventeen bytes!!"], status: 65)
        let receiveTimeout = try command("shm-reader", ["small", "--timeout", "0.2"], status: 75)
        let receiveOnce = try command("shm-reader", ["small", "--timeout", "0"], status: 75)
        let sendTimeout = try command("shm-writer", ["small", "--message", "one", "--message", "two", "--timeout", "0.2"], status: 75)
        let sendOnce = try command("shm-writer", ["small", "--message", "two", "--timeout", "0"], status: 75)
        #expect(try daemon.client("shm-reader", ["small", "--count", "1"]).stdout == "one\n")
        // The texts the commands printed are the ones the README and ClientErrorTests promise.
        #expect(writerUnknown.hasPrefix("channel 'nothing' does not exist (no /\(p).nothing in /dev/shm)"))
        #expect(readerUnknownWaited.contains("after waiting 0.300 s"))
        #expect(
            tooLarge
                == "message of 17 bytes is larger than a slot of channel 'small' (16 bytes): send smaller messages or raise slot-size for the channel in shmd.toml"
        )
        #expect(receiveTimeout == "timed out after 0.200 s waiting to receive (channel empty) on channel 'small'")
        #expect(sendOnce == "timed out after 0 s waiting to send (channel full) on channel 'small'")

        let result = try run(program, ["errors", p], seconds: 60)
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        #expect(report.other.isEmpty, "unparsed lines: \(report.other)")

        let nullWriter = Self.usage("the writer is NULL", channel: "?")
        let nullReader = Self.usage("the reader is NULL", channel: "?")
        let closedWriter = Self.usage("the writer was closed (shmkit_writer_close)")
        let closedReader = Self.usage("the reader was closed (shmkit_reader_close)")
        let large = Call(status: 65, kind: Self.tooLarge, text: tooLarge)
        let empty = Call(status: 75, kind: Self.timeout, text: receiveTimeout)
        let emptyNow = Call(status: 75, kind: Self.timeout, text: receiveOnce)
        let full = Call(status: 75, kind: Self.timeout, text: sendTimeout)
        let fullNow = Call(status: 75, kind: Self.timeout, text: sendOnce)
        let expected: [(String, Call)] = [
            ("writer_open_null_channel", Self.usage("channel is NULL", channel: "?")),
            ("reader_open_null_channel", Self.usage("channel is NULL", channel: "?")),
            ("writer_open_null_out", Self.usage("the writer pointer is NULL")),
            ("reader_open_null_out", Self.usage("the reader pointer is NULL")),
            ("writer_open_invalid_name", Call(status: 64, kind: Self.invalidName, text: writerInvalid)),
            ("reader_open_invalid_name", Call(status: 64, kind: Self.invalidName, text: readerInvalid)),
            ("writer_open_unknown", Call(status: 69, kind: Self.notFound, text: writerUnknown)),
            ("reader_open_unknown", Call(status: 69, kind: Self.notFound, text: readerUnknown)),
            ("reader_open_unknown_wait", Call(status: 69, kind: Self.notFound, text: readerUnknownWaited)),
            ("writer_open_negative_wait", Self.seconds("wait", "-1.0")),
            ("writer_open_nan_wait", Self.seconds("wait", "nan")),
            ("reader_open_negative_wait", Self.seconds("wait", "-0.5")),
            ("reader_open_nan_wait", Self.seconds("wait", "nan")),
            ("writer_open", Self.ok), ("reader_open", Self.ok),
            ("send_null_writer", nullWriter), ("send_batch_null_writer", nullWriter), ("claim_null_writer", nullWriter),
            ("commit_null_writer", nullWriter), ("abandon_null_writer", nullWriter),
            ("receive_null_reader", nullReader), ("receive_batch_null_reader", nullReader), ("borrow_null_reader", nullReader),
            ("release_null_reader", nullReader),
            ("writer_close_null", Self.ok), ("reader_close_null", Self.ok),
            ("send_null_data", Self.usage("data is NULL for a message of 5 bytes")),
            ("send_null_data_empty", Self.ok), ("receive_empty_message", Self.ok), ("send_hello", Self.ok),
            ("receive_null_buffer", Self.usage("buffer or length is NULL")),
            ("receive_null_length", Self.usage("buffer or length is NULL")),
            ("receive_batch_null_buffer", Self.usage("buffer, lengths or count is NULL")),
            ("receive_batch_null_lengths", Self.usage("buffer, lengths or count is NULL")),
            ("receive_batch_null_count", Self.usage("buffer, lengths or count is NULL")),
            ("borrow_null_data", Self.usage("data or length is NULL")),
            ("borrow_null_length", Self.usage("data or length is NULL")),
            (
                "receive_small_buffer",
                Self.usage("the buffer of 15 bytes is smaller than the channel's largest message (16 bytes, shmkit_reader_max_message_size)")
            ),
            (
                "receive_zero_capacity",
                Self.usage("the buffer of 0 bytes is smaller than the channel's largest message (16 bytes, shmkit_reader_max_message_size)")
            ),
            ("receive_batch_small_buffer", Self.usage("room for no message: max_count 4, a buffer of 15 bytes, messages of up to 16 bytes")),
            ("receive_batch_zero_count", Self.usage("room for no message: max_count 0, a buffer of 64 bytes, messages of up to 16 bytes")),
            ("receive_hello", Self.ok),
            ("claim_null_slot", Self.usage("slot or capacity is NULL")),
            ("claim_null_capacity", Self.usage("slot or capacity is NULL")),
            ("send_batch_null_messages", Self.usage("messages or lengths is NULL for 1 messages")),
            ("send_batch_null_lengths", Self.usage("messages or lengths is NULL for 1 messages")),
            ("send_batch_nothing", Self.ok), ("send_after_refusals", Self.ok), ("receive_after_refusals", Self.ok),
            ("send_too_large", large), ("send_batch_too_large", large),
            ("claim", Self.ok), ("commit_too_large", large), ("commit_after_too_large", Self.ok), ("receive_in_place", Self.ok),
            ("receive_timeout", empty), ("receive_batch_timeout", empty), ("borrow_timeout", empty), ("receive_once", emptyNow),
            ("send_batch_partial", full), ("receive_partial", Self.ok),
            ("send_one", Self.ok), ("send_timeout", full), ("send_batch_timeout", full), ("claim_timeout", full), ("send_once", fullNow),
            ("send_negative_timeout", Self.seconds("timeout", "-1.0")),
            ("send_nan_timeout", Self.seconds("timeout", "nan")),
            ("send_minus_infinity_timeout", Self.seconds("timeout", "-inf")),
            ("send_batch_negative_timeout", Self.seconds("timeout", "-1.0")),
            ("claim_nan_timeout", Self.seconds("timeout", "nan")),
            ("receive_negative_timeout", Self.seconds("timeout", "-1.0")),
            ("receive_batch_nan_timeout", Self.seconds("timeout", "nan")),
            ("borrow_negative_timeout", Self.seconds("timeout", "-0.001")),
            ("receive_one", Self.ok), ("send_forever", Self.ok), ("receive_forever", Self.ok),
            ("release_without_borrow", Self.usage("no message is borrowed: borrow one first")),
            ("commit_without_claim", Self.usage("no slot is claimed: claim one first")),
            ("abandon_without_claim", Self.usage("no slot is claimed")),
            ("claim_first", Self.ok),
            ("claim_second", Self.usage("a slot is already claimed: commit or abandon it first")),
            // The claim is the writer's one record for shmd's repair: nothing else while it lasts.
            ("send_while_claimed", Self.usage("a slot is claimed: commit or abandon it first")),
            ("send_batch_while_claimed", Self.usage("a slot is claimed: commit or abandon it first")),
            ("abandon", Self.ok),
            ("commit_after_abandon", Self.usage("no slot is claimed: claim one first")),
            ("receive_skips_abandoned", emptyNow),
            ("send_borrowed", Self.ok), ("borrow_first", Self.ok),
            ("borrow_second", Self.usage("a message is already borrowed: release it first")),
            ("receive_while_borrowed", Self.usage("a message is borrowed: release it first")),
            ("receive_batch_while_borrowed", Self.usage("a message is borrowed: release it first")),
            ("release", Self.ok),
            ("release_second", Self.usage("no message is borrowed: borrow one first")),
            ("writer_close", Self.ok), ("writer_close_again", Self.ok),
            ("send_closed", closedWriter), ("send_batch_closed", closedWriter), ("claim_closed", closedWriter),
            ("commit_closed", closedWriter), ("abandon_closed", closedWriter),
            ("reader_close", Self.ok), ("reader_close_again", Self.ok),
            ("receive_closed", closedReader), ("receive_batch_closed", closedReader), ("borrow_closed", closedReader),
            ("release_closed", closedReader),
            ("reopen_writer", Self.ok), ("reopen_reader", Self.ok), ("claim_then_close", Self.ok), ("close_with_claim", Self.ok),
            // The claim was abandoned by the close: the reader skips it and finds nothing.
            ("receive_after_close_with_claim", emptyNow),
            ("reopen_writer_again", Self.ok), ("send_then_borrow", Self.ok), ("borrow_then_close", Self.ok), ("close_with_borrow", Self.ok),
            // The borrow was released by the close: the only slot is free again.
            ("send_after_close_with_borrow", Self.ok),
        ]
        for (name, call) in expected {
            #expect(report.calls[name] == call, "\(name)")
        }
        #expect(report.order == expected.map(\.0), "the program made other calls than the test expects")

        let values: [(String, String)] = [
            ("initial_kind", "0"), ("initial_text", ""), ("handles_untouched", "1"), ("writer_max", "16"), ("reader_max", "16"),
            ("send_batch_null_writer_sent", "0"), ("receive_batch_null_reader_count", "0"),
            ("writer_max_null", "0"), ("reader_max_null", "0"), ("receive_empty_message_length", "0"),
            ("receive_hello_text", "hello"), ("send_batch_null_messages_sent", "0"), ("send_batch_nothing_sent", "0"),
            ("receive_after_refusals_text", "kept"), ("send_batch_too_large_sent", "0"), ("claim_capacity", "16"),
            ("receive_in_place_text", "in place"), ("send_batch_partial_sent", "1"), ("receive_partial_text", "first"),
            ("send_batch_timeout_sent", "0"), ("receive_one_text", "one"),
            ("receive_forever_text", "forever"), ("borrow_first_text", "borrowed"),
            ("writer_max_closed", "0"), ("reader_max_closed", "0"),
        ]
        for (name, value) in values {
            #expect(report.values[name] == value, "\(name)")
        }
        // Each timed call waited its timeout (and not much more than a slice beyond it).
        for name in ["receive_timeout", "receive_batch_timeout", "borrow_timeout", "send_timeout", "send_batch_timeout", "claim_timeout"] {
            let waited = report.value(name + "_ms") ?? -1
            #expect(waited >= 200 && waited < 2_000, "\(name) waited \(waited) ms")
        }
        #expect((report.value("reader_open_unknown_wait_ms") ?? -1) >= 300)

        // What the program left: "next" queued, the claims it gave up counted as abandoned, and
        // no client attached (closing and freeing detached every handle).
        let snapshot = try ChannelSnapshot(channel: "small", prefix: p)
        #expect(snapshot.queued == 1)
        #expect(snapshot.clients.isEmpty)
        #expect(try daemon.client("shm-reader", ["small", "--count", "1"]).stdout == "next\n")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(p).isEmpty)
    }

    @Test("a segment that is not a channel (65), one of 0 bytes (65), a full client table (69), a NUL on the seed layout (65)")
    func notAChannelFullTableAndSeed() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "one"
                max-clients = 1

                [[channel]]
                name = "seed"
                layout = "seed"
                segment = "/@P_my_shm"
                sem-empty = "/@P_sem_empty"
                sem-full = "/@P_sem_full"
                """)
        let p = daemon.prefix
        let garbage = "/dev/shm/\(p).garbage"
        let zero = "/dev/shm/\(p).zero"
        #expect(FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x5A, count: 4096)))
        #expect(FileManager.default.createFile(atPath: zero, contents: Data()))
        defer {
            unlink(garbage)
            unlink(zero)
        }
        // A writer holds the only entry of channel 'one' meanwhile.
        let holder = try daemon.startClient("shm-writer", ["one"], stdin: true)
        #expect(waitUntil(seconds: 10) { (try? ChannelSnapshot(channel: "one", prefix: p))?.clients.count == 1 })

        func command(_ name: String, _ arguments: [String], input: String? = nil, status: Int32) throws -> String {
            let result = try daemon.client(name, arguments, input: input.map { Data($0.utf8) })
            #expect(result.status == status, "\(name) \(arguments): \(result)")
            return Self.message(result, of: name)
        }
        let headerMismatch = try command("shm-writer", ["garbage", "--message", "x"], status: 65)
        let emptySegment = try command("shm-reader", ["zero", "--wait", "0.2"], status: 65)
        let fullTable = try command("shm-reader", ["one"], status: 69)
        let nul = try command("shm-writer", ["seed"], input: "a\u{0}b\n", status: 65)
        #expect(headerMismatch.hasPrefix("channel 'garbage' has an incompatible header: magic is 0x5A5A5A5A5A5A5A5A"))
        #expect(emptySegment.hasPrefix("segment /\(p).zero of channel 'zero' has 0 bytes"))
        #expect(fullTable.hasPrefix("channel 'one' already has 1 attached clients"))
        #expect(nul == "message cannot be sent on channel 'seed': the seed layout holds a C string, and the message contains a NUL byte")

        let result = try run(program, ["more", p])
        holder.feed(Data())
        #expect(holder.waitForExit(seconds: 10) == 0, "\(holder.stderr)")
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        let unrepresentable = Call(status: 65, kind: 5, text: nul)
        #expect(report.calls["writer_open_garbage"] == Call(status: 65, kind: 6, text: headerMismatch))
        #expect(report.calls["reader_open_zero"] == Call(status: 65, kind: 7, text: emptySegment))
        #expect(report.calls["reader_open_full_table"] == Call(status: 69, kind: 3, text: fullTable))
        #expect(report.values["handles_untouched"] == "1")
        #expect(report.calls["writer_open_seed"] == Self.ok && report.calls["reader_open_seed"] == Self.ok)
        #expect(report.values["seed_max"] == "1023")
        #expect(report.calls["send_nul"] == unrepresentable)
        #expect(report.calls["claim_seed"] == Self.ok)
        #expect(report.values["claim_seed_capacity"] == "1023")
        // Every way of sending refuses it, before anything is published (the in-place ones cut
        // it at the NUL before a29fc6c); a refused commit leaves the buffer claimed.
        #expect(report.calls["send_batch_nul"] == unrepresentable, "\(result.stdout)")
        #expect(report.values["send_batch_nul_sent"] == "0")
        #expect(report.calls["receive_after_batch_nul"]?.status == 75)
        #expect(report.calls["commit_nul"] == unrepresentable)
        #expect(report.calls["receive_after_commit_nul"]?.status == 75)
        #expect(report.calls["abandon_after_commit_nul"] == Self.ok)
        #expect(daemon.stop() == 0)
        unlink(garbage)
        unlink(zero)
        #expect(TestNames.leftovers(p).isEmpty)
    }

    @Test("a batch with a NULL message of 16 bytes is refused with 64, like shmkit_send's NULL data")
    func sendBatchNullEntry() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(channels: Self.channels)
        let result = try run(program, ["null-entry", daemon.prefix])
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        #expect(report.calls["send_secret"] == Self.ok && report.calls["receive_secret"] == Self.ok)
        // Refused before anything is sent: the reader does not get the slot's stale bytes (the
        // previous message) again.
        #expect(report.calls["send_batch_null_entry"] == Self.usage("messages[0] is NULL for a message of 16 bytes"), "\(result.stdout)")
        #expect(report.values["send_batch_null_entry_sent"] == "0")
        #expect(report.calls["receive_after_null_entry"]?.status == 75)
        #expect(daemon.stop() == 0)
    }

    @Test("the last error is per thread, and a success leaves it as it was")
    func perThread() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(channels: Self.channels)
        let result = try run(program, ["threads", daemon.prefix])
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        let unknown = report.calls["main_open_unknown"]
        #expect(unknown?.status == 69 && unknown?.kind == Self.notFound)
        #expect(report.values["thread_initial_kind"] == "0")
        #expect(report.values["thread_initial_text"] == "")
        #expect(report.calls["thread_commit_null"] == Self.usage("the writer is NULL", channel: "?"))
        #expect(report.values["main_open_small"] == "0")
        #expect(report.values["main_kind_after"] == "\(Self.notFound)")
        #expect(report.values["main_text_after"] == unknown?.text)
        #expect(daemon.stop() == 0)
    }

    @Test("permission denied as a user outside the channel's group: 77, the commands' text")
    func permissionDenied() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(channels: Self.channels)
        // nobody:nogroup is in no group that owns the objects (root:root, mode 0660).
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let commands = try ["shm-writer", "shm-reader"].map { name in
            try run(nobody[0], Array(nobody.dropFirst()) + [Executables.path(name), "small", "--prefix", daemon.prefix])
        }
        #expect(commands.map(\.status) == [77, 77], "\(commands)")
        let result = try run(nobody[0], Array(nobody.dropFirst()) + [program, "access", daemon.prefix])
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        let text =
            "permission denied opening /\(daemon.prefix).small of channel 'small': run as root, as shmd's user, "
            + "or as a member of the channel's group (`ls -l /dev/shm` shows owner and mode)"
        #expect(Self.message(commands[0], of: "shm-writer") == text)
        #expect(Self.message(commands[1], of: "shm-reader") == text)
        #expect(report.calls["writer_open_denied"] == Call(status: 77, kind: Self.permission, text: text))
        #expect(report.calls["reader_open_denied"] == Call(status: 77, kind: Self.permission, text: text))
        #expect(report.values["handles_untouched"] == "1")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("closed by shmd: a writer gets 69; a reader drains the channel, then gets 69 with SHMKIT_E_CLOSED")
    func closedByShmd() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        // The commands first, on a daemon of their own: an attached shm-writer and shm-reader
        // when shmd stops.
        let commandDaemon = try TestDaemon(channels: Self.channels)
        let writer = try commandDaemon.startClient("shm-writer", ["closing"], stdin: true)
        let reader = try commandDaemon.startClient("shm-reader", ["closing"])
        let attached = waitUntil(seconds: 10) {
            let pids = (try? ChannelSnapshot(channel: "closing", prefix: commandDaemon.prefix))?.clients.map(\.process.pid) ?? []
            return pids.contains(writer.pid) && pids.contains(reader.pid)
        }
        #expect(attached)
        #expect(commandDaemon.stop() == 0)
        writer.feed(Data("late\n".utf8))
        #expect(writer.waitForExit(seconds: 10) == 69)
        #expect(reader.waitForExit(seconds: 10) == 0)
        let writerText = Self.message(Finished(status: 69, stdout: "", stderr: writer.stderr), of: "shm-writer")
        let readerLine = Self.message(Finished(status: 0, stdout: "", stderr: reader.stderr), of: "shm-reader")
        let closedText = "channel 'closing' was closed by shmd (it stopped or the channel was removed)"
        #expect(writerText == closedText)
        #expect(readerLine == closedText + "; every queued message was printed")

        let daemon = try TestDaemon(channels: Self.channels)
        let child = try ChildProcess(program, ["closed", daemon.prefix], stdin: true)
        #expect(waitUntil(seconds: 20) { child.stdout.contains("ready\n") || !child.isRunning }, "\(child.stderr)")
        #expect(daemon.stop() == 0)
        child.feed(Data("go\n".utf8))
        #expect(child.waitForExit(seconds: 20) == 0, "\(child.stderr)")
        let report = CallReport(child.stdout)
        let closed = Call(status: 69, kind: Self.closed, text: closedText)
        let expected: [(String, Call)] = [
            ("writer_open", Self.ok), ("reader_open", Self.ok), ("send_first", Self.ok), ("send_second", Self.ok),
            ("send_closed", closed), ("send_batch_closed", closed), ("claim_closed", closed),
            ("receive_first", Self.ok), ("borrow_second", Self.ok), ("release_second", Self.ok),
            ("receive_end", closed), ("receive_end_again", closed), ("borrow_end", closed), ("receive_batch_end", closed),
            ("writer_close", Self.ok), ("reader_close", Self.ok),
        ]
        for (name, call) in expected {
            #expect(report.calls[name] == call, "\(name)")
        }
        #expect(report.order == expected.map(\.0))
        #expect(report.values["send_batch_closed_sent"] == "0")
        #expect(report.values["receive_first_text"] == "first")
        #expect(report.values["borrow_second_text"] == "second")
        #expect(report.values["receive_batch_end_count"] == "0")
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
        #expect(TestNames.leftovers(commandDaemon.prefix).isEmpty)
    }

    @Test("failing calls neither leak nor crash: 30,000 rounds of every failure, resident memory and descriptors flat")
    func noLeaks() throws {
        let program = try LibShmKit.testProgram("shmkit_errors")
        let daemon = try TestDaemon(channels: Self.channels)
        let rounds = 30_000
        let result = try run(program, ["leak", daemon.prefix, "\(rounds)"], seconds: 300)
        #expect(result.status == 0, "\(result)")
        let report = CallReport(result.stdout)
        #expect(report.value("leak_unexpected") == 0, "calls that did not fail as expected: \(result.stdout)")
        let before = report.value("leak_rss_before_kib") ?? -1
        let after = report.value("leak_rss_after_kib") ?? Int.max
        // 27,000 measured rounds of 18 failing or succeeding calls, plus 2,700 opens and frees:
        // even 16 bytes kept per failure would be 7 MiB.
        #expect(before > 0 && after - before < 1_024, "resident memory grew from \(before) KiB to \(after) KiB")
        #expect(report.value("leak_fds_before") == report.value("leak_fds_after"), "\(result.stdout)")
        let snapshot = try ChannelSnapshot(channel: "small", prefix: daemon.prefix)
        #expect(snapshot.clients.isEmpty)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
