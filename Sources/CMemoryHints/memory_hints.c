// The functions are static inline in the header; SwiftPM wants one source file per C target.
#include "memory_hints.h"
