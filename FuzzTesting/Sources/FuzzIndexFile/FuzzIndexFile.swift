// libFuzzer target: each input goes to `FuzzChecks.checkIndexFile`.
import FuzzChecks

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzChecks.checkIndexFile(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// The entry point SwiftPM links as `main` (see FuzzDriver.swift).
@_cdecl("FuzzIndexFile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzChecks.runDriver(argc: argc, argv: argv, fuzzTestOneInput)
}
