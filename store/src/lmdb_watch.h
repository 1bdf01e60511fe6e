// Watches on the LMDB store: each stream reads the history table itself, from its
// next revision up to the newest committed one, and sleeps on the core's commit
// notification when it has caught up. Nothing is buffered per watcher, so a slow
// reader costs nothing but the history it has not read yet.
#pragma once

#include <memory>

#include "gorch/store/store.h"
#include "lmdb_core.h"

namespace gorch::store::internal {

// `next_revision` is the first revision to deliver.
std::unique_ptr<WatchStream> NewLmdbWatchStream(std::shared_ptr<LmdbCore> core, const WatchRequest& req,
                                                int64_t next_revision);

}  // namespace gorch::store::internal
