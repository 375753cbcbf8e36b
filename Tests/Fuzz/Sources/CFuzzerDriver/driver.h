#ifndef CKPLAN_FUZZ_DRIVER_H
#define CKPLAN_FUZZ_DRIVER_H

/* SwiftPM links an executable target with `main` defined as `<Target>_main` (so that tests can
 * import executables), which hides libFuzzer's own `main`. Each fuzz target therefore defines
 * `<Target>_main` and hands control to libFuzzer through its documented driver entry point
 * (compiler-rt/lib/fuzzer/FuzzerInterface.h). The symbol comes from -sanitize=fuzzer's runtime. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
