// Controllers not written yet: their syncs do nothing.
#include "controllers/internal.h"

namespace gorch::engine::ctrl {

SyncResult SyncStatefulSet(Context&, const std::string&) { return {}; }
SyncResult SyncDaemonSet(Context&, const std::string&) { return {}; }
SyncResult SyncJob(Context&, const std::string&) { return {}; }
SyncResult SyncCronJob(Context&, const std::string&) { return {}; }

}  // namespace gorch::engine::ctrl
