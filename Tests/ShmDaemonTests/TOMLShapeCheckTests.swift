import Testing

@testable import ShmDaemon

@Suite("shmd.toml: shapes that made toml++ abort are errors with their line")
struct TOMLShapeCheckTests {
    /// Each of the first three aborted toml++ (SIGABRT) before the check: found by the config
    /// fuzz target (Tests/Fuzz/corpus/config holds them as regression seeds).
    @Test(
        "refused, with the line and the reason",
        arguments: [
            ("[\n", 1, "a table header needs a key"),
            ("[[[channel]]]\nname = \"a\"\n", 1, "a table header needs a key"),
            ("[daemon]\nx = [}\n", 2, "no key of shmd.toml takes an array"),
            ("[daemon]\n[[\u{FFFD}\u{FFFD}annel]]\n", 2, "a table header needs a key"),
            ("x = 1\n  [ ]\n", 2, "a table header needs a key"),
            ("[daemon]\nprefix = { a = 1 }\n", 2, "inline table"),
            ("[daemon]\nprefix = \"\"\"\nshmd\"\"\"\n", 2, "multi-line string"),
            ("[daemon]\nprefix =\n", 2, "needs a value"),
            ("[daemon]\n= 1\n", 2, "cannot start with '='"),
            // Found by the fuzzer after the lines were split as Characters, where "\r\n" is one.
            ("\r\n[\u{FFFD}\u{FFFD}\n", 2, "a table header needs a key"),
            ("[daemon]\r\nx = [}\r\n", 2, "no key of shmd.toml takes an array"),
        ])
    func refused(text: String, line: Int, reason: String) {
        #expect {
            try ConfigLoader.parse(text, file: "x.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && error.reason.hasPrefix("TOML syntax: ") && error.reason.contains(reason)
        }
    }

    @Test("ordinary shmd.toml lines are left to TOML")
    func accepted() {
        for text in [
            "[daemon]\nprefix = \"p\"  # a comment with [ and {\n[[channel]]\nname = \"a\"\n",
            "[ daemon ]\n[[ \"channel\" ]]\n\"name\" = 'a=b'\nslots = 4\nspin-us = 2.5\nrequire-all-channels = true\n",
            "\n   # only a comment\n\t\n",
            "[daemon]\r\nprefix = \"p\"\r\n",
        ] {
            #expect(TOMLShapeCheck.firstRefusal(in: text) == nil, "\(text)")
        }
    }
}
