import ShmFuzz

// The libFuzzer build (`make fuzz`) defines SHM_FUZZING and links libFuzzer's main, which calls
// this entry once per input; a normal build gets a replay program instead.
#if SHM_FUZZING
@c(LLVMFuzzerTestOneInput)
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.fuzz(.header, data, size)
}
#else
@main
enum Replay {
    static func main() { FuzzDriver.replayMain(.header) }
}
#endif
