import ShmBridge
import Testing

@Suite("ThrottledWarning: one line per interval, counting the rest")
struct ThrottledWarningTests {
    @Test("the first occurrence is logged, the next ones within the interval are counted into the next line")
    func throttles() {
        var warning = ThrottledWarning(intervalSeconds: 10)
        #expect(warning.occurred(at: 100) == 0)
        #expect(warning.occurred(at: 100.5) == nil)
        #expect(warning.occurred(at: 109.9) == nil)
        #expect(warning.occurred(at: 110) == 2)
        #expect(warning.occurred(at: 111) == nil)
        #expect(warning.occurred(at: 200) == 1)
        #expect(warning.occurred(at: 210) == 0)
    }
}
