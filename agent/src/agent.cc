#include "gorch/agent/agent.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "gorch/v1/gorch.grpc.pb.h"
#include "pod_convert.h"

namespace gorch::agent {

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = Trim(text.substr(pos, comma - pos));
    if (!item.empty()) out.push_back(std::move(item));
    pos = comma + 1;
  }
  return out;
}

Status FromGrpc(const grpc::Status& s, const std::string& server) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::InvalidArgument(s.error_message());
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(s.error_message());
    case grpc::StatusCode::FAILED_PRECONDITION: return Status::FailedPrecondition(s.error_message());
    case grpc::StatusCode::ABORTED: return Status::Aborted(s.error_message());
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable("cannot reach gorch server at " + server + ": " + s.error_message());
    default: return Status::Internal("gorch server at " + server + ": " + s.error_message());
  }
}

}  // namespace

Result<std::map<std::string, std::string>> ParseLabels(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const auto& item : SplitCommas(text)) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("label \"" + item + "\" is not key=value");
    out[Trim(item.substr(0, eq))] = Trim(item.substr(eq + 1));
  }
  return out;
}

Result<std::vector<TaintSpec>> ParseTaints(std::string_view text) {
  std::vector<TaintSpec> out;
  for (const auto& item : SplitCommas(text)) {
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Status::InvalidArgument("taint \"" + item + "\" is not key[=value]:Effect");
    TaintSpec t;
    t.effect = Trim(item.substr(colon + 1));
    std::string kv = item.substr(0, colon);
    size_t eq = kv.find('=');
    t.key = Trim(kv.substr(0, eq));
    if (eq != std::string::npos) t.value = Trim(kv.substr(eq + 1));
    if (t.key.empty()) return Status::InvalidArgument("taint \"" + item + "\" has no key");
    if (t.effect != "NoSchedule" && t.effect != "PreferNoSchedule" && t.effect != "NoExecute")
      return Status::InvalidArgument("taint \"" + item + "\": effect must be NoSchedule, PreferNoSchedule or NoExecute");
    out.push_back(std::move(t));
  }
  return out;
}

// One pod bound to this node, as the agent tracks it.
struct TrackedPod {
  PodSpec spec;
  std::string stored_phase;   // object.status.phase when first seen
  uint64_t generation = 0;    // the watch session that last listed it
  bool started = false;
  bool run_failed = false;
  std::string reported;       // last status JSON the server accepted
};

class Agent::Impl {
 public:
  Impl(AgentOptions options, std::unique_ptr<ContainerRuntime> runtime)
      : options_(std::move(options)), runtime_(std::move(runtime)) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetMaxReceiveMessageSize(64 << 20);
    if (options_.own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stub_ = v1::Gorch::NewStub(grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), args));
    // A pod whose state changed is reported at once, not at the next tick.
    runtime_->SetChangeListener([this] { WakeSync(); });
  }
  ~Impl() {
    for (auto& t : stoppers_) t.first.join();
    // The runtime's threads may call the listener until it is gone: it goes first.
    runtime_->SetChangeListener(nullptr);
    runtime_.reset();
  }

  Status Run(const std::atomic<bool>& stop);

 private:
  void Log(const std::string& line) {
    if (!options_.log) return;
    std::lock_guard<std::mutex> lock(log_mu_);
    options_.log(line);
  }
  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
    // Wait for a connection (within the deadline) instead of failing at once while
    // the server (re)starts.
    ctx->set_wait_for_ready(true);
    return ctx;
  }
  // Registers until it succeeds, stop is set (Ok), or the server rejects it.
  Status Register(const std::atomic<bool>& stop);
  void HeartbeatLoop(const std::atomic<bool>& stop);
  void WatchLoop(const std::atomic<bool>& stop);
  void SyncLoop(const std::atomic<bool>& stop);
  void SyncOnce();
  // A pod status to send (SyncOnce's copies of the pods, valid during the sync).
  struct StatusReport {
    const std::string* key;
    TrackedPod* pod;
    std::string status;
  };
  static constexpr size_t kMaxStatusBatch = 64;  // the server takes up to 128
  void ReportStatuses(std::vector<StatusReport> batch);
  Status ReportOne(StatusReport& r);
  void ReportDone(StatusReport& r, const Status& s);
  // Stops a pod in its own thread (the sync loop goes on meanwhile). REQUIRES: mu_ held.
  void StopAsync(const std::string& uid, const std::string& key);
  // Once per watch session, after SYNCED: stops the runtime's pods that are not
  // bound here (left by an earlier agent); those that are get adopted by RunPod.
  void RemoveLeftovers();
  // Sleeps up to d, waking early when stop is set.
  void Sleep(const std::atomic<bool>& stop, std::chrono::milliseconds d);
  // Asks the sync loop for another pass as soon as it is done with the current one
  // (a wake-up that comes while it syncs is not lost).
  void WakeSync() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sync_wanted_ = true;
    }
    wake_.notify_all();
  }

  AgentOptions options_;
  std::unique_ptr<ContainerRuntime> runtime_;
  std::unique_ptr<v1::Gorch::Stub> stub_;
  std::mutex log_mu_;
  std::mutex sleep_mu_;  // Sleep's (nothing else waits on sleep_cv_)
  std::condition_variable sleep_cv_;
  int64_t lease_id_ = 0;
  int64_t ttl_seconds_ = 10;

  std::mutex mu_;  // guards pods_, generation_, watch_ctx_
  std::condition_variable wake_;
  std::unordered_map<std::string, TrackedPod> pods_;  // by "<ns>/<name>"
  uint64_t generation_ = 0;
  uint64_t synced_generation_ = 0;  // the last watch session that sent SYNCED
  uint64_t cleaned_generation_ = 0;  // the last one after which leftovers were removed
  bool sync_wanted_ = false;  // a pod changed since the sync loop last looked
  grpc::ClientContext* watch_ctx_ = nullptr;
  // Pods being stopped (a grace period can be long): one thread each, joined once
  // done (the flag) or at the end. Guarded by mu_.
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> stoppers_;
  std::set<std::string> stopping_;  // their uids, guarded by mu_
};

void Agent::Impl::Sleep(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  // Not on wake_: a pod change wakes the sync loop only. Stop is polled every
  // sync_interval (at most every 100 ms): a thousand hollow agents in one process
  // would otherwise wake ten thousand times a second for nothing.
  const auto step = std::max(options_.sync_interval, std::chrono::milliseconds(100));
  auto until = std::chrono::steady_clock::now() + d;
  std::unique_lock<std::mutex> lock(sleep_mu_);
  while (!stop && std::chrono::steady_clock::now() < until)
    sleep_cv_.wait_until(lock, std::min(until, std::chrono::steady_clock::now() + step));
}

Status Agent::Impl::Register(const std::atomic<bool>& stop) {
  v1::RegisterNodeRequest req;
  req.set_name(options_.node);
  for (const auto& [k, v] : options_.labels) (*req.mutable_labels())[k] = v;
  for (const auto& t : options_.taints) {
    auto* taint = req.add_taints();
    taint->set_key(t.key);
    taint->set_value(t.value);
    taint->set_effect(t.effect);
  }
  req.set_cpu(options_.cpu);
  req.set_memory(options_.memory);
  req.set_pods(options_.pods);
  req.set_runtime(runtime_->Name());
  req.set_agent_version("gorch 0.1.0");
  req.set_agent_address(options_.agent_address);
  std::chrono::milliseconds backoff(100);
  bool logged = false;
  while (!stop) {
    v1::RegisterNodeResponse resp;
    auto ctx = Context();
    Status s = FromGrpc(stub_->RegisterNode(ctx.get(), req, &resp), options_.server);
    if (s.ok()) {
      lease_id_ = resp.lease_id();
      ttl_seconds_ = std::max<int64_t>(resp.ttl_seconds(), 1);
      Log("registered node " + options_.node + " with " + options_.server + " (heartbeat lease " +
          std::to_string(lease_id_) + ", ttl " + std::to_string(ttl_seconds_) + " s)");
      return Status::Ok();
    }
    if (s.IsInvalidArgument()) return s;
    if (!logged) Log("registration failed, retrying: " + s.message());
    logged = true;
    Sleep(stop, backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  return Status::Ok();
}

void Agent::Impl::HeartbeatLoop(const std::atomic<bool>& stop) {
  while (!stop) {
    Sleep(stop, std::chrono::milliseconds(ttl_seconds_ * 1000 / 3));
    if (stop) break;
    v1::HeartbeatRequest req;
    req.set_node(options_.node);
    req.set_lease_id(lease_id_);
    v1::HeartbeatResponse resp;
    auto ctx = Context();
    Status s = FromGrpc(stub_->Heartbeat(ctx.get(), req, &resp), options_.server);
    if (s.IsNotFound()) {
      Log("heartbeat lease expired; registering again");
      if (Status r = Register(stop); !r.ok()) Log("registering again failed: " + r.message());
    } else if (!s.ok()) {
      Log("heartbeat failed: " + s.message());
    }
  }
}

void Agent::Impl::WatchLoop(const std::atomic<bool>& stop) {
  while (!stop) {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(mu_);
      watch_ctx_ = &ctx;
      generation = ++generation_;
    }
    v1::WatchNodePodsRequest req;
    req.set_node(options_.node);
    // A pod's later changes (our own status reports coming back) are of no use here:
    // the spec is read once, from its binding.
    req.set_bindings_only(true);
    auto reader = stub_->WatchNodePods(&ctx, req);
    v1::NodePodEvent e;
    while (!stop && reader->Read(&e)) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string key = e.pod().namespace_() + "/" + e.pod().name();
      if (e.type() == v1::NodePodEvent::SYNCED) {
        // Pods not listed in this session are no longer bound here.
        for (auto& [k, pod] : pods_)
          if (pod.generation != generation) pod.generation = 0;
        synced_generation_ = generation;
      } else if (e.type() == v1::NodePodEvent::DELETE) {
        auto it = pods_.find(key);
        if (it != pods_.end()) it->second.generation = 0;
      } else {
        std::string phase;
        auto spec = PodSpecFromStore(e.pod().namespace_(), e.pod().name(), e.pod().create_revision(),
                                     e.pod().json(), &phase);
        if (!spec.ok()) {
          Log(spec.status().message());
          continue;
        }
        auto it = pods_.find(key);
        if (it != pods_.end() && it->second.spec.uid != spec->uid) it->second.generation = 0;  // replaced
        if (it == pods_.end() || it->second.spec.uid != spec->uid) {
          TrackedPod pod;
          pod.spec = std::move(*spec);
          pod.stored_phase = phase;
          pod.generation = generation;
          // A replaced pod under the same name: stop the old incarnation first.
          if (it != pods_.end()) {
            StopAsync(it->second.spec.uid, key);
            pods_.erase(it);
          }
          pods_.emplace(key, std::move(pod));
        } else {
          it->second.generation = generation;
        }
      }
      sync_wanted_ = true;
      wake_.notify_all();
    }
    grpc::Status s = reader->Finish();
    {
      std::lock_guard<std::mutex> lock(mu_);
      watch_ctx_ = nullptr;
    }
    if (stop) break;
    Log("pod watch ended (" + s.error_message() + "); reconnecting");
    Sleep(stop, std::chrono::milliseconds(500));
  }
}

void Agent::Impl::SyncOnce() {
  // Work on a copy: runtime calls and RPCs run without the lock.
  std::vector<std::pair<std::string, TrackedPod>> pods;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = pods_.begin(); it != pods_.end();) {
      if (it->second.generation == 0) {
        StopAsync(it->second.spec.uid, it->first);
        it = pods_.erase(it);
      } else {
        pods.emplace_back(it->first, it->second);
        ++it;
      }
    }
  }
  RemoveLeftovers();
  std::vector<StatusReport> reports;
  for (auto& [key, pod] : pods) {
    bool terminal_before = pod.stored_phase == "Succeeded" || pod.stored_phase == "Failed";
    if (!pod.started && !pod.run_failed) {
      // A pod that already finished (before an agent restart) is not run again.
      if (terminal_before) continue;
      Status s = runtime_->RunPod(pod.spec);
      if (s.ok()) {
        pod.started = true;
        Log("started pod " + key + " (" + runtime_->Name() + ")");
      } else {
        pod.run_failed = true;
        Log("pod " + key + " cannot run: " + s.message());
      }
    }
    std::string status;
    if (pod.started) {
      auto state = runtime_->PodStatus(pod.spec.uid);
      if (!state.ok()) continue;
      status = PodStatusJson(*state, "");
    } else if (pod.run_failed) {
      PodState failed;
      failed.phase = PodPhase::kFailed;
      failed.reason = "RunFailed";
      failed.message = "the runtime could not run the pod";
      status = PodStatusJson(failed, "");
    }
    if (status.empty() || status == pod.reported) continue;
    reports.push_back({&key, &pod, std::move(status)});
  }
  for (size_t i = 0; i < reports.size(); i += kMaxStatusBatch)
    ReportStatuses(std::vector<StatusReport>(reports.begin() + i,
                                             reports.begin() + std::min(reports.size(), i + kMaxStatusBatch)));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, pod] : pods) {
    auto it = pods_.find(key);
    if (it == pods_.end() || it->second.spec.uid != pod.spec.uid) continue;
    it->second.started = pod.started;
    it->second.run_failed = pod.run_failed;
    it->second.reported = pod.reported;
  }
}

// Marks a report done when the server took it or the pod is not (any more) one
// for this node to report.
void Agent::Impl::ReportDone(StatusReport& r, const Status& s) {
  if (s.ok() || s.IsNotFound() || s.IsFailedPrecondition()) r.pod->reported = r.status;
  if (!s.ok() && !s.IsNotFound()) Log("status of pod " + *r.key + " not reported: " + s.message());
}

Status Agent::Impl::ReportOne(StatusReport& r) {
  v1::UpdatePodStatusRequest req;
  req.set_namespace_(r.pod->spec.namespace_);
  req.set_name(r.pod->spec.name);
  req.set_node(options_.node);
  req.set_status_json(r.status);
  v1::UpdatePodStatusResponse resp;
  auto ctx = Context();
  return FromGrpc(stub_->UpdatePodStatus(ctx.get(), req, &resp), options_.server);
}

// One call for the batch (UpdatePodStatusRequest.batch); a server that answers
// without per-pod results took only the first, and the rest go one by one.
void Agent::Impl::ReportStatuses(std::vector<StatusReport> batch) {
  if (batch.size() == 1) {
    ReportDone(batch[0], ReportOne(batch[0]));
    return;
  }
  v1::UpdatePodStatusRequest req;
  req.set_namespace_(batch[0].pod->spec.namespace_);
  req.set_name(batch[0].pod->spec.name);
  req.set_node(options_.node);
  req.set_status_json(batch[0].status);
  for (const StatusReport& r : batch) {
    v1::PodStatusReport* p = req.add_batch();
    p->set_namespace_(r.pod->spec.namespace_);
    p->set_name(r.pod->spec.name);
    p->set_status_json(r.status);
  }
  v1::UpdatePodStatusResponse resp;
  auto ctx = Context();
  Status s = FromGrpc(stub_->UpdatePodStatus(ctx.get(), req, &resp), options_.server);
  if (s.ok() && resp.batch_size() == static_cast<int>(batch.size())) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const v1::PodStatusResult& res = resp.batch(static_cast<int>(i));
      grpc::Status g(static_cast<grpc::StatusCode>(res.code()), res.message());
      ReportDone(batch[i], FromGrpc(g, options_.server));
    }
    return;
  }
  ReportDone(batch[0], s);
  if (!s.ok() && !s.IsNotFound() && !s.IsFailedPrecondition()) return;  // the next sync tries again
  for (size_t i = 1; i < batch.size(); ++i) ReportDone(batch[i], ReportOne(batch[i]));
}

void Agent::Impl::StopAsync(const std::string& uid, const std::string& key) {
  if (!stopping_.insert(uid).second) return;
  // Reap the stoppers that are done (their threads are at their end).
  for (auto it = stoppers_.begin(); it != stoppers_.end();) {
    if (*it->second) {
      it->first.join();
      it = stoppers_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  stoppers_.emplace_back(std::thread([this, uid, key, done] {
    Status s = runtime_->StopPod(uid, options_.stop_grace);
    Log(s.ok() ? "stopped pod " + key : "stopping pod " + key + " failed: " + s.message());
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.erase(uid);
    *done = true;
  }), done);
}

void Agent::Impl::RemoveLeftovers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (synced_generation_ == 0 || synced_generation_ == cleaned_generation_) return;
    cleaned_generation_ = synced_generation_;
  }
  auto uids = runtime_->ListPods();
  if (!uids.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> bound;
  for (const auto& [key, pod] : pods_) bound.insert(pod.spec.uid);
  for (const auto& uid : *uids)
    if (!bound.count(uid) && !stopping_.count(uid)) StopAsync(uid, "(not bound here) " + uid);
}

void Agent::Impl::SyncLoop(const std::atomic<bool>& stop) {
  while (!stop) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sync_wanted_ = false;
    }
    SyncOnce();
    // A change seen during SyncOnce (a pod just started, a new binding) is synced
    // at once: it would otherwise wait for the next tick.
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, options_.sync_interval, [&] { return sync_wanted_ || stop.load(); });
  }
}

Status Agent::Impl::Run(const std::atomic<bool>& stop) {
  if (Status s = Register(stop); !s.ok()) return s;
  if (stop) return Status::Ok();
  std::thread watcher([&] { WatchLoop(stop); });
  std::thread syncer([&] { SyncLoop(stop); });
  HeartbeatLoop(stop);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (watch_ctx_) watch_ctx_->TryCancel();
  }
  wake_.notify_all();
  watcher.join();
  syncer.join();
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> stoppers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stoppers.swap(stoppers_);
  }
  for (auto& t : stoppers) t.first.join();
  return Status::Ok();
}

Agent::Agent(AgentOptions options, std::unique_ptr<ContainerRuntime> runtime)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(runtime))) {}
Agent::~Agent() = default;
Status Agent::Run(const std::atomic<bool>& stop) { return impl_->Run(stop); }

}  // namespace gorch::agent
