// The embedded store in a local directory (`--state DIR`), shared by the verbs
// that read or write it directly.
#pragma once

#include <memory>
#include <string>

#include "gorch/base/status.h"
#include "gorch/planner/live_state.h"
#include "gorch/planner/scheduler_model.h"
#include "gorch/store/store.h"

namespace gorch::cli {

// Opens the LMDB store in dir; creates it only when create is true.
Result<std::unique_ptr<store::Store>> OpenLocalStore(const std::string& dir, bool create);
// The live state and registered nodes of the store in dir (which must exist).
Status ReadLocalState(const std::string& dir, planner::LiveState& live, planner::ClusterSnapshot& nodes);
// A whole file, or NotFound naming it.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace gorch::cli
