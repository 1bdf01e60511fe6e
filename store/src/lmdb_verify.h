// Verification of a store directory before it is served: every record of every
// table is read, bounds-checked and decoded (with its checksum), and the history
// must not run past the store's revision.
#pragma once

#include <string>

#include "gorch/base/status.h"

namespace gorch::store::internal {

// Verifies the store in `dir` through a read-only LMDB handle of its own. A missing
// or empty data file, or one without gorch tables, passes (opening reports those).
// REQUIRES: no process writes the directory meanwhile (the caller holds its lock).
Status VerifyStoreFiles(const std::string& dir);

// Runs VerifyStoreFiles in a child process, because LMDB keeps no checksums of its
// own pages and may crash on a damaged one: a crash is then reported as Corruption
// instead of taking this process down.
Status VerifyStoreIsolated(const std::string& dir);

}  // namespace gorch::store::internal
