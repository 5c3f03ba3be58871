/// A test's own error: something it needs did not happen (a child that did not start, a file it
/// could not write), with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
