import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShmDaemon

/// A config path that is not a readable regular file of UTF-8 text is refused with the precise
/// reason, never "Success" or a misleading "no such file", and never by hanging.
@Suite("shmd.toml: paths that are not a readable config file")
struct ConfigFileReadingTests {
    /// A fresh directory for one test, removed with everything in it by `remove()`.
    struct Scratch {
        let path: String

        init() throws {
            path = NSTemporaryDirectory() + "shmd-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }

        func file(_ name: String) -> String { path + "/" + name }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    func refusal(_ path: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("\(path) was accepted")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("a directory")
    func directory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(
            refusal(scratch.path)?.description
                == "\(scratch.path): cannot read the file: is a directory, not a regular file: give the path of the TOML file itself")
    }

    @Test("a FIFO is refused at once, without waiting for a writer")
    func fifo() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        // Load on a thread of its own, so that a blocking open fails the test at the deadline
        // instead of hanging it; then a writer releases the thread.
        let done = DispatchSemaphore(value: 0)
        let result = Locked<ConfigError?>(nil)
        Thread.detachNewThread {
            result.value = refusal(path)
            done.signal()
        }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("loading a FIFO blocked for 10 s")
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            _ = done.wait(timeout: .now() + 10)
            return
        }
        #expect(
            result.value?.description
                == "\(path): cannot read the file: is a FIFO, not a regular file: give the path of the TOML file itself")
    }

    @Test("a symlink loop")
    func symlinkLoop() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(symlink(scratch.file("b"), scratch.file("a")) == 0)
        #expect(symlink(scratch.file("a"), scratch.file("b")) == 0)
        let error = try #require(refusal(scratch.file("a")))
        #expect(error.reason.hasPrefix("cannot read the file: too many levels of symbolic links (a symlink loop); "), "\(error)")
        #expect(error.reason.contains("`namei -l \(scratch.file("a"))`"), "\(error)")
    }

    @Test("a dangling symlink says where it points")
    func danglingSymlink() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(symlink(scratch.file("gone.toml"), scratch.file("shmd.toml")) == 0)
        #expect(
            refusal(scratch.file("shmd.toml"))?.reason
                == "cannot read the file: no such file (it is a symbolic link to '\(scratch.file("gone.toml"))', which does not exist)")
    }

    @Test("a symlink to a regular file is followed")
    func symlinkToFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try "[[channel]]\nname = \"a\"\n".write(toFile: scratch.file("real.toml"), atomically: false, encoding: .utf8)
        #expect(symlink(scratch.file("real.toml"), scratch.file("shmd.toml")) == 0)
        #expect(try ConfigLoader.load(path: scratch.file("shmd.toml")).channels.map(\.name) == ["a"])
    }

    @Test("an empty file")
    func empty() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(FileManager.default.createFile(atPath: scratch.file("shmd.toml"), contents: Data()))
        let error = try #require(refusal(scratch.file("shmd.toml")))
        #expect(error.key == "")
        #expect(error.reason.hasPrefix("the file is empty: a config has at least one [[channel]] table"), "\(error)")
    }

    @Test("a file over 1 MiB is refused without being parsed")
    func huge() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("shmd.toml")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(truncate(path, off_t(ConfigFileReader.sizeLimit + 1)) == 0)
        #expect(
            refusal(path)?.reason
                == "cannot read the file: it is 1048577 bytes, more than the 1 MiB (1048576 bytes) a config may be: is it the right file?")
    }

    @Test("a file just under the limit is read whole, across many reads")
    func large() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("shmd.toml")
        let comment = "# " + String(repeating: "x", count: 97) + "\n"
        let body =
            "[[channel]]\nname = \"first\"\n"
            + String(repeating: comment, count: (ConfigFileReader.sizeLimit - 200) / comment.utf8.count)
            + "[[channel]]\nname = \"last\"\n"
        #expect(body.utf8.count <= ConfigFileReader.sizeLimit)
        try body.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try ConfigLoader.load(path: path).channels.map(\.name) == ["first", "last"])
    }

    @Test("a file that is not UTF-8 names the line of the first bad byte")
    func notUTF8() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("shmd.toml")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("[[channel]]\nname = \"a".utf8) + Data([0xFF, 0x22, 0x0A])))
        let error = try #require(refusal(path))
        #expect(error.line == 2, "\(error)")
        #expect(error.reason.hasPrefix("the file is not UTF-8 text, as TOML must be: invalid byte at offset 21"), "\(error)")
    }

    @Test("a component of the path that is a file")
    func notADirectory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(FileManager.default.createFile(atPath: scratch.file("plain"), contents: Data("x".utf8)))
        #expect(refusal(scratch.file("plain") + "/shmd.toml")?.reason.hasPrefix("cannot read the file: a component of the path is not a directory") == true)
    }

    @Test("without --config, only a default path with nothing there serves the built-in channel; a symlink loop there is an error")
    func defaultPath() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("shmd.toml")
        #expect(try ConfigSource.defaultPath.load(defaultPath: path).file == nil)
        #expect(symlink(path, path) == 0)
        #expect {
            _ = try ConfigSource.defaultPath.load(defaultPath: path)
        } throws: { error in
            (error as? ConfigError)?.reason.contains("a symlink loop") == true
        }
    }
}
