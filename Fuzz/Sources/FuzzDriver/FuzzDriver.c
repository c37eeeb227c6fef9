// Declarations only (include/FuzzDriver.h); libFuzzer itself is linked by -sanitize=fuzzer.
#include "FuzzDriver.h"
