#include "lmdb_watch.h"

#include <atomic>
#include <algorithm>
#include <chrono>
#include <string>

namespace gorch::store::internal {
namespace {

constexpr size_t kMaxEventsPerNext = 1000;

class LmdbWatchStream : public WatchStream {
 public:
  LmdbWatchStream(std::shared_ptr<LmdbCore> core, const WatchRequest& req, int64_t next_revision)
      : core_(std::move(core)), req_(req), next_rev_(next_revision) {}

  ~LmdbWatchStream() override { Cancel(); }

  Result<std::vector<Event>> Next(std::chrono::milliseconds timeout) override {
    if (!error_.ok()) return error_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (canceled_.load()) return Fail(Status::Aborted("watch canceled"));
      if (core_->closed.load()) return Fail(Status::Unavailable("store " + core_->options().dir + " is closed"));
      const int64_t durable = core_->committed_revision.load();
      if (next_rev_ <= durable) {
        std::vector<Event> events;
        Status s = ReadSome(durable, &events);
        if (!s.ok()) return Fail(s);
        if (!events.empty()) return events;
        continue;
      }
      std::unique_lock<std::mutex> l(core_->watch_mu);
      bool woke = core_->watch_cv.wait_until(l, deadline, [&] {
        return canceled_.load() || core_->closed.load() || core_->committed_revision.load() >= next_rev_;
      });
      if (!woke) return std::vector<Event>();
    }
  }

  void Cancel() override {
    canceled_.store(true);
    { std::lock_guard<std::mutex> l(core_->watch_mu); }
    core_->watch_cv.notify_all();
  }

 private:
  Status Fail(Status s) {
    error_ = s;
    return s;
  }

  // Reads history from next_rev_ up to `durable` (never a commit that is not yet
  // durable, though the snapshot may hold one), advancing next_rev_ past it.
  Status ReadSome(int64_t durable, std::vector<Event>* events) {
    auto txn = core_->BeginRead();
    if (!txn.ok()) return txn.status();
    MetaState meta;
    GORCH_RETURN_IF_ERROR(ReadMeta(txn->get(), core_->tables(), &meta));
    if (next_rev_ < meta.compact_revision) {
      return Status::Compacted("watch needs revision " + std::to_string(next_rev_) +
                               ", but history is compacted up to " + std::to_string(meta.compact_revision));
    }
    int64_t scanned = 0;
    GORCH_RETURN_IF_ERROR(ReadHistory(txn->get(), core_->tables(), next_rev_, std::min(durable, meta.revision), req_.key,
                                      req_.range_end, kMaxEventsPerNext, events, &scanned));
    next_rev_ = scanned + 1;
    return Status::Ok();
  }

  std::shared_ptr<LmdbCore> core_;
  const WatchRequest req_;
  int64_t next_rev_;
  std::atomic<bool> canceled_{false};
  Status error_;
};

}  // namespace

std::unique_ptr<WatchStream> NewLmdbWatchStream(std::shared_ptr<LmdbCore> core, const WatchRequest& req,
                                                int64_t next_revision) {
  return std::make_unique<LmdbWatchStream>(std::move(core), req, next_revision);
}

}  // namespace gorch::store::internal
