import Glibc
import Logging
import Testing

@testable import ShmDaemon

@Suite("journald log handler")
struct LogHandlerTests {
    @Test("metadata keys become valid journal field names")
    func fieldNames() {
        #expect(ShmdLogHandler.journalField("channel") == "SHMD_CHANNEL")
        #expect(ShmdLogHandler.journalField("client-pid") == "SHMD_CLIENT_PID")
        #expect(ShmdLogHandler.journalField("ünïcode.x") == "SHMD__N_CODE_X")
    }

    @Test("swift-log levels map to syslog priorities")
    func priorities() {
        #expect(ShmdLogHandler.priority(.critical) == 2)
        #expect(ShmdLogHandler.priority(.error) == 3)
        #expect(ShmdLogHandler.priority(.warning) == 4)
        #expect(ShmdLogHandler.priority(.notice) == 5)
        #expect(ShmdLogHandler.priority(.info) == 6)
        #expect(ShmdLogHandler.priority(.debug) == 7)
    }

    @Test("the journal is used only when JOURNAL_STREAM names the very file on the descriptor")
    func sinkDetection() throws {
        let fd = open("/dev/null", O_WRONLY)
        defer { close(fd) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        #expect(LogSink.detect(journalStream: nil, descriptor: fd) == .stderr)
        #expect(LogSink.detect(journalStream: "\(info.st_dev):\(info.st_ino)", descriptor: fd) == .journal)
        #expect(LogSink.detect(journalStream: "\(info.st_dev):\(info.st_ino + 1)", descriptor: fd) == .stderr)
        #expect(LogSink.detect(journalStream: "garbage", descriptor: fd) == .stderr)
    }
}
