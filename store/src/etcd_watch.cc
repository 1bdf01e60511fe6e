// Watches on etcd: one gRPC Watch stream per WatchStream, read by a background
// thread into a queue that Next() drains. When the stream breaks, the thread
// reconnects (to the next endpoint) and asks for the revision after the last one it
// delivered, so events arrive once each, in order, across the reconnect.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "etcd_conn.h"

namespace gorch::store::internal {
namespace pb = etcdserverpb;
namespace {

class EtcdWatchStream : public WatchStream {
 public:
  EtcdWatchStream(std::shared_ptr<EtcdConnection> conn, const WatchRequest& req)
      : conn_(std::move(conn)), req_(req), next_rev_(req.start_revision) {}

  ~EtcdWatchStream() override {
    Cancel();
    if (reader_.joinable()) reader_.join();
  }

  // Launches the reader and waits until etcd has created the watch.
  Status Start() {
    reader_ = std::thread([this] { Run(); });
    std::unique_lock<std::mutex> l(mu_);
    bool done = cv_.wait_for(l, conn_->options().request_timeout, [&] { return created_ || !terminal_.ok(); });
    if (!terminal_.ok()) return terminal_;
    if (!done) return Status::Unavailable("etcd " + conn_->Current().address + ": watch was not created in time");
    return Status::Ok();
  }

  Result<std::vector<Event>> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, timeout, [&] { return !queue_.empty() || !terminal_.ok() || canceled_; });
    if (canceled_) return Status::Aborted("watch canceled");
    if (!queue_.empty()) {
      std::vector<Event> events = std::move(queue_.front());
      queue_.pop_front();
      return events;
    }
    if (!terminal_.ok()) return terminal_;
    return std::vector<Event>();
  }

  void Cancel() override {
    std::lock_guard<std::mutex> l(mu_);
    canceled_ = true;
    if (context_ != nullptr) context_->TryCancel();
    cv_.notify_all();
  }

 private:
  void Fail(Status s) {
    std::lock_guard<std::mutex> l(mu_);
    if (terminal_.ok()) terminal_ = std::move(s);
    cv_.notify_all();
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> lost_since;
    std::chrono::milliseconds backoff{100};
    for (;;) {
      EtcdEndpoint& ep = conn_->Current();
      grpc::Status broken;
      bool terminal = Session(ep, &broken, &lost_since);
      if (terminal) return;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (canceled_) return;
        if (!created_) {  // never started: report it now rather than retry behind Start()
          terminal_ = Status::Unavailable("etcd " + ep.address + ": cannot start a watch: " + broken.error_message());
          cv_.notify_all();
          return;
        }
      }
      const auto now = Clock::now();
      if (!lost_since) lost_since = now;
      if (now - *lost_since > conn_->options().watch_reconnect_window) {
        Fail(Status::Unavailable("etcd " + ep.address + ": watch stream lost and not re-established within " +
                                 std::to_string(conn_->options().watch_reconnect_window.count()) +
                                 " ms: " + broken.error_message()));
        return;
      }
      conn_->Rotate();
      std::unique_lock<std::mutex> l(mu_);
      if (cv_.wait_for(l, backoff, [&] { return canceled_; })) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }

  // One gRPC stream. Returns true when the watch is over (canceled, compacted,
  // refused); false when the stream broke and should be re-established.
  bool Session(EtcdEndpoint& ep, grpc::Status* broken,
               std::optional<std::chrono::steady_clock::time_point>* lost_since) {
    grpc::ClientContext ctx;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (canceled_) return true;
      context_ = &ctx;
    }
    auto stream = ep.watch->Watch(&ctx);
    pb::WatchRequest wr;
    pb::WatchCreateRequest* create = wr.mutable_create_request();
    create->set_key(req_.key);
    create->set_range_end(req_.range_end);
    create->set_start_revision(next_rev_);
    create->set_progress_notify(true);  // lets next_rev_ advance through quiet periods
    bool terminal = false;
    if (stream->Write(wr)) {
      pb::WatchResponse resp;
      while (!terminal && stream->Read(&resp)) terminal = Handle(resp, ep, lost_since);
    }
    ctx.TryCancel();
    *broken = stream->Finish();
    {
      std::lock_guard<std::mutex> l(mu_);
      context_ = nullptr;
      if (canceled_) return true;
    }
    return terminal;
  }

  // Handles one response; returns true when the watch is over.
  bool Handle(const pb::WatchResponse& resp, EtcdEndpoint& ep,
              std::optional<std::chrono::steady_clock::time_point>* lost_since) {
    if (resp.compact_revision() != 0) {
      Fail(Status::Compacted("etcd " + ep.address + ": watch needs revision " + std::to_string(next_rev_) +
                             ", but history is compacted up to " + std::to_string(resp.compact_revision())));
      return true;
    }
    if (resp.canceled()) {
      Fail(Status::Unavailable("etcd " + ep.address + " canceled the watch: " + resp.cancel_reason()));
      return true;
    }
    if (resp.created()) {
      lost_since->reset();
      std::lock_guard<std::mutex> l(mu_);
      if (next_rev_ == 0) next_rev_ = resp.header().revision() + 1;
      created_ = true;
      cv_.notify_all();
    }
    if (resp.events_size() == 0 && !resp.created()) {
      // A progress notification: everything up to header.revision has been sent.
      std::lock_guard<std::mutex> l(mu_);
      next_rev_ = std::max(next_rev_, resp.header().revision() + 1);
      return false;
    }
    std::vector<Event> events;
    for (const mvccpb::Event& e : resp.events()) {
      if (e.kv().mod_revision() < next_rev_) continue;  // already delivered before a reconnect
      events.push_back(FromPb(e));
    }
    if (!events.empty()) {
      std::lock_guard<std::mutex> l(mu_);
      // Revisions arrive whole (fragment is off), so the next one starts after the last.
      next_rev_ = events.back().kv.mod_revision + 1;
      queue_.push_back(std::move(events));
      cv_.notify_all();
    }
    return false;
  }

  std::shared_ptr<EtcdConnection> conn_;
  const WatchRequest req_;
  std::thread reader_;

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t next_rev_;  // first revision not yet delivered; 0 until etcd says "now"
  bool created_ = false;
  bool canceled_ = false;
  Status terminal_;
  grpc::ClientContext* context_ = nullptr;  // of the live stream, for Cancel()
  std::deque<std::vector<Event>> queue_;
};

}  // namespace

Result<std::unique_ptr<WatchStream>> StartEtcdWatch(std::shared_ptr<EtcdConnection> conn,
                                                    const WatchRequest& req) {
  auto stream = std::make_unique<EtcdWatchStream>(std::move(conn), req);
  GORCH_RETURN_IF_ERROR(stream->Start());
  return std::unique_ptr<WatchStream>(std::move(stream));
}

}  // namespace gorch::store::internal
