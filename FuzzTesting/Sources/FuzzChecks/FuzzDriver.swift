// Starting libFuzzer from a SwiftPM executable.
//
// On Linux SwiftPM links every executable target with `main` renamed to `<Target>_main` (so
// that tests can link the target). A fuzz target has no `main` of its own (libFuzzer's would
// be used), so each target defines `<Target>_main` and hands over to libFuzzer's driver.

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

extension FuzzChecks {
    /// Runs libFuzzer with the process arguments and `testOneInput` as the target.
    public static func runDriver(
        argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, testOneInput)
    }
}
