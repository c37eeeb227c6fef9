#ifndef PKGFS_FUZZ_DRIVER_H
#define PKGFS_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs with their own main (LLVM >= 13). SwiftPM renames the main of
// an executable target on Linux, so the targets call this from main.swift instead of relying
// on libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
