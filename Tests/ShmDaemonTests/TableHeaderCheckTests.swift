import Testing
@testable import ShmDaemon

@Suite("shmd.toml: a table header without a key is an error, never an abort in toml++")
struct TableHeaderCheckTests {
    /// Each aborted toml++ (SIGABRT) before the check: found by the config fuzz target.
    @Test("keyless headers are refused with their line", arguments: [
        ("[\n", 1), ("[[[channel]]]\nname = \"a\"\n", 1), ("[daemon]\n[[\u{FFFD}\u{FFFD}annel]]\n", 2), ("x = 1\n  [ ]\n", 2), ("[[\n", 1),
    ])
    func refused(text: String, line: Int) {
        #expect {
            try ConfigLoader.parse(text, file: "x.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && error.reason.contains("a table header needs a key")
        }
    }

    @Test("headers, quoted keys, and brackets inside values and strings are left to TOML")
    func accepted() {
        for text in [
            "[daemon]\nprefix = \"p\"\n[[channel]]\nname = \"a\"\n",
            "[ daemon ]\n[[ \"channel\" ]]\nname = \"a\"\n",
            "x = [\n  [1, 2],\n  [ 3 ],\n]\n",
            "x = \"\"\"\n[\n\"\"\"\n",
            "x = '''\n[[[\n'''\n",
            "x = \"a [ b\" # [\n",
        ] {
            #expect(TableHeaderCheck.firstKeylessHeader(in: text) == nil, "\(text)")
        }
    }
}
