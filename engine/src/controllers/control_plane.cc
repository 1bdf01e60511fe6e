// The control plane's loop: one watch on the whole store feeds the cache and the
// work queue; queued keys are synced one at a time (so no key is ever synced by two
// workers at once), failures retried with exponential backoff up to a bound.
#include <atomic>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "controllers/internal.h"

namespace gorch::engine {

namespace {

class WallClock : public store::Clock {
 public:
  int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

std::shared_ptr<store::Clock> SystemWallClock() { return std::make_shared<WallClock>(); }

namespace ctrl {
namespace {

struct Item {
  Controller controller;
  std::string key;
  bool operator==(const Item&) const = default;
};

struct ItemHash {
  size_t operator()(const Item& i) const {
    return std::hash<std::string>()(i.key) * 31 + static_cast<size_t>(i.controller);
  }
};

struct Delayed {
  int64_t due;
  uint64_t seq;
  Item item;
  bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

class ControlPlaneImpl final : public ControlPlane, public Context {
 public:
  ControlPlaneImpl(store::Store& store, const ControlPlaneOptions& options, std::shared_ptr<store::Clock> clock)
      : Context(store, options_copy_, *clock), options_copy_(options), clock_holder_(std::move(clock)) {}
  ~ControlPlaneImpl() override { Stop(); }

  Status Init();
  void RunThread() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() override;
  Result<int> Step() override;

  void Enqueue(Controller c, const std::string& key, int64_t delay_ms) override;
  void Dispatch(const std::string& key, const Json* value, const Json* old) override;

 private:
  void Loop();
  Status PumpWatch(std::chrono::milliseconds timeout, int* events);
  void PromoteDue();
  int RunReady(int max);
  void RunOne(const Item& item);
  void EnqueueAll();

  ControlPlaneOptions options_copy_;
  std::shared_ptr<store::Clock> clock_holder_;
  std::unique_ptr<store::WatchStream> watch_;
  int64_t watched_revision_ = 0;
  std::deque<Item> ready_;
  std::unordered_set<Item, ItemHash> queued_;  // in ready_
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t seq_ = 0;
  std::unordered_map<Item, int, ItemHash> failures_;
  int64_t next_resync_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex stop_mu_;
};

Status ControlPlaneImpl::Init() {
  Result<store::RangeResponse> all = store().Range(store::RangeRequest::Prefix(""));
  if (!all.ok()) return all.status();
  for (store::KeyValue& kv : all->kvs) {
    if (kv.key.rfind("/Event/", 0) == 0) continue;
    Json value = Json::parse(kv.value, nullptr, false);
    cache().Put(kv.key, kv.mod_revision, value);
    Dispatch(kv.key, &value, nullptr);
  }
  watched_revision_ = all->revision;
  Result<std::unique_ptr<store::WatchStream>> w =
      store().Watch(store::WatchRequest::Prefix("", all->revision + 1));
  if (!w.ok()) return w.status();
  watch_ = std::move(*w);
  Enqueue(Controller::kGc, "*", 0);
  if (options().resync_period.count() > 0) next_resync_ = Now() + options().resync_period.count();
  return Status::Ok();
}

void ControlPlaneImpl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  stop_ = true;
  if (watch_) watch_->Cancel();
  if (thread_.joinable()) thread_.join();
}

void ControlPlaneImpl::Enqueue(Controller c, const std::string& key, int64_t delay_ms) {
  Item item{c, key};
  if (delay_ms > 0) {
    delayed_.push({Now() + delay_ms, seq_++, std::move(item)});
    return;
  }
  if (queued_.insert(item).second) ready_.push_back(std::move(item));
}

void ControlPlaneImpl::EnqueueAll() {
  static const std::pair<std::string_view, Controller> kKinds[] = {
      {"/Deployment/", Controller::kDeployment}, {"/ReplicaSet/", Controller::kReplicaSet},
      {"/StatefulSet/", Controller::kStatefulSet}, {"/DaemonSet/", Controller::kDaemonSet},
      {"/Job/", Controller::kJob}, {"/CronJob/", Controller::kCronJob}};
  for (auto [prefix, c] : kKinds) {
    for (auto& [key, obj] : cache().List(prefix)) {
      std::string kind, ns, name;
      if (SplitKey(key, &kind, &ns, &name)) Enqueue(c, NsName(ns, name), 0);
    }
  }
  for (auto& [key, obj] : cache().List("/Node//")) Enqueue(Controller::kNode, key.substr(7), 0);
  Enqueue(Controller::kScheduler, "*", 0);
  Enqueue(Controller::kGc, "*", 0);
}

// Routes a change to the controllers that act on it (event handlers only enqueue).
void ControlPlaneImpl::Dispatch(const std::string& key, const Json* value, const Json* old) {
  if (key.rfind(kHeartbeatPrefix, 0) == 0) {
    Enqueue(Controller::kNode, key.substr(kHeartbeatPrefix.size()), 0);
    return;
  }
  if (key.rfind("/gorch/rollout/Deployment/", 0) == 0) {
    Enqueue(Controller::kDeployment, key.substr(26), 0);
    return;
  }
  std::string kind, ns, name;
  if (key.rfind("/gorch/status/Job/", 0) == 0) {  // a finished Job moves its CronJob
    if (SplitKey(key.substr(13), &kind, &ns, &name)) {
      if (const Obj* job = cache().Get(ObjectKey("Job", ns, name))) {
        Owner o = OwnerOf(job->object());
        if (o.kind == "CronJob") Enqueue(Controller::kCronJob, NsName(ns, o.name), 0);
      }
    }
    return;
  }
  if (!SplitKey(key, &kind, &ns, &name)) return;
  const Json* current = value ? value : old;
  const Json& object = current ? At(*current, "object") : At(Json(), "");
  const std::string nsname = NsName(ns, name);
  if (!value) Enqueue(Controller::kGc, kind + "/" + nsname, 0);
  if (kind == "Deployment") {
    Enqueue(Controller::kDeployment, nsname, 0);
  } else if (kind == "ReplicaSet") {
    Enqueue(Controller::kReplicaSet, nsname, 0);
    Owner o = OwnerOf(object);
    if (o.kind == "Deployment") Enqueue(Controller::kDeployment, NsName(ns, o.name), 0);
  } else if (kind == "StatefulSet") {
    Enqueue(Controller::kStatefulSet, nsname, 0);
  } else if (kind == "DaemonSet") {
    Enqueue(Controller::kDaemonSet, nsname, 0);
  } else if (kind == "Job") {
    Enqueue(Controller::kJob, nsname, 0);
    Owner o = OwnerOf(object);
    if (o.kind == "CronJob") Enqueue(Controller::kCronJob, NsName(ns, o.name), 0);
  } else if (kind == "CronJob") {
    Enqueue(Controller::kCronJob, nsname, 0);
  } else if (kind == "Pod") {
    Owner o = OwnerOf(object);
    if (o.kind == "ReplicaSet") {
      Enqueue(Controller::kReplicaSet, NsName(ns, o.name), 0);
      std::string d = DeploymentOfReplicaSet(o.name);
      if (!d.empty()) Enqueue(Controller::kDeployment, NsName(ns, d), 0);
    } else if (o.kind == "StatefulSet") {
      Enqueue(Controller::kStatefulSet, NsName(ns, o.name), 0);
    } else if (o.kind == "DaemonSet") {
      Enqueue(Controller::kDaemonSet, NsName(ns, o.name), 0);
    } else if (o.kind == "Job") {
      Enqueue(Controller::kJob, NsName(ns, o.name), 0);
    }
    const bool pending = value && StringAt(At(object, "spec"), "nodeName").empty() &&
                         StringAt(At(object, "status"), "phase") != "Succeeded" &&
                         StringAt(At(object, "status"), "phase") != "Failed";
    if (pending) {
      pending_pods().insert(key);
      Enqueue(Controller::kScheduler, "*", 0);
    } else {
      pending_pods().erase(key);
      // A pod gone frees room for pending ones.
      if (!value && !pending_pods().empty()) Enqueue(Controller::kScheduler, "*", 0);
    }
  } else if (kind == "Node") {
    Enqueue(Controller::kNode, name, 0);
    Enqueue(Controller::kScheduler, "*", 0);
    for (auto& [k, obj] : cache().List("/DaemonSet/")) {
      std::string dk, dns, dn;
      if (SplitKey(k, &dk, &dns, &dn)) Enqueue(Controller::kDaemonSet, NsName(dns, dn), 0);
    }
  }
}

Status ControlPlaneImpl::PumpWatch(std::chrono::milliseconds timeout, int* events) {
  Result<std::vector<store::Event>> batch = watch_->Next(timeout);
  if (!batch.ok()) return batch.status();
  for (store::Event& ev : *batch) {
    ++*events;
    watched_revision_ = std::max(watched_revision_, ev.kv.mod_revision);
    if (ev.kv.key.rfind("/Event/", 0) == 0) continue;
    if (ev.type == store::EventType::kPut) {
      // Our own writes are in the cache already (write-through): no parse.
      const Obj* cached = cache().Get(ev.kv.key);
      if (cached && cached->mod_revision >= ev.kv.mod_revision) continue;
      std::optional<Obj> old =
          cache().Put(ev.kv.key, ev.kv.mod_revision, Json::parse(ev.kv.value, nullptr, false));
      const Obj* now = cache().Get(ev.kv.key);  // null: an older change than the cache holds
      if (now) Dispatch(ev.kv.key, &now->value, old ? &old->value : nullptr);
    } else {
      std::optional<Obj> old = cache().Delete(ev.kv.key, ev.kv.mod_revision);
      if (old) Dispatch(ev.kv.key, nullptr, &old->value);
    }
  }
  cache().Trim(watched_revision_);
  return Status::Ok();
}

void ControlPlaneImpl::PromoteDue() {
  const int64_t now = Now();
  while (!delayed_.empty() && delayed_.top().due <= now) {
    Item item = delayed_.top().item;
    delayed_.pop();
    if (queued_.insert(item).second) ready_.push_back(std::move(item));
  }
  if (next_resync_ > 0 && now >= next_resync_) {
    next_resync_ = now + options().resync_period.count();
    EnqueueAll();
  }
}

SyncResult RunSync(Context& ctx, Controller c, const std::string& key) {
  switch (c) {
    case Controller::kDeployment: return SyncDeployment(ctx, key);
    case Controller::kReplicaSet: return SyncReplicaSet(ctx, key);
    case Controller::kStatefulSet: return SyncStatefulSet(ctx, key);
    case Controller::kDaemonSet: return SyncDaemonSet(ctx, key);
    case Controller::kJob: return SyncJob(ctx, key);
    case Controller::kCronJob: return SyncCronJob(ctx, key);
    case Controller::kScheduler: return SyncScheduler(ctx, key);
    case Controller::kNode: return SyncNode(ctx, key);
    case Controller::kGc: return SyncGc(ctx, key);
  }
  return {};
}

void ControlPlaneImpl::RunOne(const Item& item) {
  SyncResult r = RunSync(*this, item.controller, item.key);
  if (r.status.ok()) {
    failures_.erase(item);
    if (r.requeue_after_ms) Enqueue(item.controller, item.key, std::max<int64_t>(*r.requeue_after_ms, 1));
    return;
  }
  int& n = ++failures_[item];
  if (n > options().max_retries) {
    failures_.erase(item);  // dropped until the key's next event or resync
    return;
  }
  if (r.status.code() == Status::Code::kAborted) {  // a write conflict: the cache is fresh again
    Enqueue(item.controller, item.key, 0);
    return;
  }
  int64_t delay = options().backoff_base.count() << std::min(n - 1, 30);
  Enqueue(item.controller, item.key, std::min<int64_t>(delay, options().backoff_max.count()));
}

int ControlPlaneImpl::RunReady(int max) {
  int ran = 0;
  while (!ready_.empty() && ran < max) {
    Item item = std::move(ready_.front());
    ready_.pop_front();
    queued_.erase(item);
    RunOne(item);
    ++ran;
  }
  return ran;
}

void ControlPlaneImpl::Loop() {
  while (!stop_) {
    int events = 0;
    Status s = PumpWatch(ready_.empty() ? options().idle_wait : std::chrono::milliseconds(0), &events);
    // Take in what else has arrived before syncing: a key queued by many changes
    // is synced once for all of them.
    for (int more = events, rounds = 0; s.ok() && more > 0 && rounds < 16; ++rounds) {
      more = 0;
      s = PumpWatch(std::chrono::milliseconds(0), &more);
    }
    if (!s.ok()) {
      if (stop_) return;
      // Compacted or a broken watch: re-list and watch again.
      watch_.reset();
      if (!Init().ok()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    PromoteDue();
    RunReady(64);
  }
}

Result<int> ControlPlaneImpl::Step() {
  int total = 0;
  for (int round = 0; round < 100000; ++round) {
    Result<store::RangeResponse> head = store().Range(store::RangeRequest::Key("/", 0));
    if (!head.ok()) return head.status();
    for (int waits = 0; watched_revision_ < head->revision && waits < 40; ++waits) {
      int events = 0;
      GORCH_RETURN_IF_ERROR(PumpWatch(std::chrono::milliseconds(50), &events));
    }
    int events = 0;
    GORCH_RETURN_IF_ERROR(PumpWatch(std::chrono::milliseconds(0), &events));
    PromoteDue();
    if (ready_.empty()) return total;
    total += RunReady(1 << 30);
  }
  return Status::Internal("controllers did not settle");
}

}  // namespace
}  // namespace ctrl

Result<std::unique_ptr<ControlPlane>> ControlPlane::Create(store::Store& store, const ControlPlaneOptions& options) {
  std::shared_ptr<store::Clock> clock = options.clock ? options.clock : SystemWallClock();
  auto cp = std::make_unique<ctrl::ControlPlaneImpl>(store, options, std::move(clock));
  GORCH_RETURN_IF_ERROR(cp->Init());
  return std::unique_ptr<ControlPlane>(std::move(cp));
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Start(store::Store& store, const ControlPlaneOptions& options) {
  std::shared_ptr<store::Clock> clock = options.clock ? options.clock : SystemWallClock();
  auto cp = std::make_unique<ctrl::ControlPlaneImpl>(store, options, std::move(clock));
  GORCH_RETURN_IF_ERROR(cp->Init());
  cp->RunThread();
  return std::unique_ptr<ControlPlane>(std::move(cp));
}

}  // namespace gorch::engine
