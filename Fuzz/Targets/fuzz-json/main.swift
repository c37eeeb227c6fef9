import FuzzDriver
import Foundation

// libFuzzer with this target's check (SwiftPM renames an executable's main, so libFuzzer's own
// main cannot be used; LLVMFuzzerRunDriver takes the same options).
var arguments = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argv) { data, size in fuzzJSON(data, size) })
