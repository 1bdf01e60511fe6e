// The CRI runtime: pods by uid, each run by its own worker thread (cri_pod.cc);
// one poller lists container states (waking the pods whose containers changed)
// and their CPU/memory; sandboxes found at start are adopted by RunPod.
#include "gorch/agent/cri_runtime.h"

#include <grpcpp/grpcpp.h>

#include <cstdlib>

#include "cri_internal.h"
#include "gorch/v1/gorch.grpc.pb.h"
#include "volumes.h"

namespace gorch::agent {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

ObjectGetter ServerObjectGetter(const std::string& address, milliseconds timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  std::shared_ptr<v1::Gorch::Stub> stub = v1::Gorch::NewStub(channel);
  return [stub, address, timeout](const std::string& kind, const std::string& ns,
                                  const std::string& name) -> Result<std::string> {
    v1::GetRequest req;
    req.set_kind(kind);
    req.set_namespace_(ns);
    req.set_name(name);
    v1::GetResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    ctx.set_wait_for_ready(true);
    grpc::Status s = stub->Get(&ctx, req, &resp);
    if (s.ok()) return resp.object().json();
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return Status::NotFound(s.error_message());
    return Status::Unavailable("cannot read " + kind + " " + ns + "/" + name + " from gorch server at " + address +
                               ": " + s.error_message());
  };
}

namespace {

// ROOT/logs/<ns>_<name>_<uid>: the pod's CRI log directory (as the kubelet names it).
fs::path LogDirFor(const fs::path& root, const std::string& ns, const std::string& name, const std::string& uid) {
  return root / "logs" / (PathSegment(ns) + "_" + PathSegment(name) + "_" + PathSegment(uid));
}

}  // namespace

CriRuntime::Impl::Impl(CriOptions options)
    : options_(std::move(options)), client_(options_.endpoint, options_.call_timeout) {}

CriRuntime::Impl::~Impl() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [uid, pod] : pods_) {
      pod->wake = true;
      pod->cv.notify_all();
      if (pod->worker.joinable()) workers.push_back(std::move(pod->worker));
    }
  }
  poll_cv_.notify_all();
  for (auto& w : workers) w.join();
  if (poller_.joinable()) poller_.join();
}

milliseconds CriRuntime::Impl::Backoff(int n) const {
  if (n <= 1) return milliseconds(0);
  milliseconds d = options_.backoff_base;
  for (int i = 2; i < n && d < options_.backoff_cap; ++i) d *= 2;
  return std::min(d, options_.backoff_cap);
}

Status CriRuntime::Impl::EnsureImage(const std::string& image) {
  // One check (and pull) per image at a time: pods that start together wait for
  // the first one's answer instead of each asking the runtime.
  std::promise<Status> answer;
  std::shared_future<Status> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (present_images_.count(image)) return Status::Ok();
    auto it = image_checks_.find(image);
    if (it != image_checks_.end()) {
      pending = it->second;
    } else {
      image_checks_.emplace(image, answer.get_future().share());
    }
  }
  if (pending.valid()) return pending.get();
  Status s = CheckOrPullImage(image);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) present_images_.insert(image);
    image_checks_.erase(image);
  }
  answer.set_value(s);
  return s;
}

Status CriRuntime::Impl::CheckOrPullImage(const std::string& image) {
  cri::ImageStatusRequest status;
  status.mutable_image()->set_image(image);
  auto resp = client_.Image(&cri::ImageService::Stub::ImageStatus, status);
  if (!resp.ok()) return resp.status();
  if (!resp->has_image() || resp->image().id().empty()) {
    Log("pulling image " + image);
    cri::PullImageRequest pull;
    pull.mutable_image()->set_image(image);
    auto pulled = client_.Image(&cri::ImageService::Stub::PullImage, pull, options_.pull_timeout);
    if (!pulled.ok()) return WithMessage(pulled.status(), "failed to pull image \"" + image + "\": " + pulled.status().message());
  }
  return Status::Ok();
}

void CriRuntime::Impl::ForgetImage(const std::string& image) {
  std::lock_guard<std::mutex> lock(mu_);
  present_images_.erase(image);
}

Status CriRuntime::Impl::Start() {
  std::error_code ec;
  for (const char* sub : {"pods", "logs", "pvc"}) {
    fs::create_directories(options_.root / sub, ec);
    if (ec) return Status::IOError("cannot make " + (options_.root / sub).string() + ": " + ec.message());
  }
  cri::VersionRequest version;
  auto v = client_.Runtime(&cri::RuntimeService::Stub::Version, version);
  if (!v.ok()) return v.status().IsUnavailable() ? v.status() : Status::Unavailable("container runtime at " + client_.endpoint() + ": " + v.status().message());
  Log("container runtime " + v->runtime_name() + " " + v->runtime_version() + " (CRI " + v->runtime_api_version() +
      ") at " + client_.endpoint());
  cri::ListPodSandboxRequest list;
  (*list.mutable_filter()->mutable_label_selector())[kManagedLabel] = "true";
  auto sandboxes = client_.Runtime(&cri::RuntimeService::Stub::ListPodSandbox, list);
  if (!sandboxes.ok()) return sandboxes.status();
  cri::ListContainersRequest containers;
  (*containers.mutable_filter()->mutable_label_selector())[kManagedLabel] = "true";
  auto all = client_.Runtime(&cri::RuntimeService::Stub::ListContainers, containers);
  if (!all.ok()) return all.status();
  for (const auto& s : sandboxes->items()) {
    auto uid = s.labels().find(kPodUidLabel);
    if (uid == s.labels().end()) continue;
    FoundSandbox& found = found_[uid->second];
    // Two sandboxes for one uid (an agent died mid-restart): keep the newer ready one.
    if (!found.sandbox.id().empty() && (found.sandbox.state() == cri::SANDBOX_READY &&
                                        found.sandbox.created_at() > s.created_at()))
      continue;
    if (!found.sandbox.id().empty()) (void)RemoveOrphan(found.sandbox.id());
    found.sandbox = s;
    found.containers.clear();
    for (const auto& c : all->containers())
      if (c.pod_sandbox_id() == s.id()) found.containers.push_back(c);
  }
  if (!found_.empty()) Log("found " + std::to_string(found_.size()) + " gorch pod sandbox(es) to adopt or remove");
  poller_ = std::thread([this] { PollLoop(); });
  return Status::Ok();
}

Status CriRuntime::Impl::RemoveOrphan(const std::string& sandbox_id) {
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sandbox_id);
  auto s = client_.Runtime(&cri::RuntimeService::Stub::StopPodSandbox, stop);
  if (!s.ok() && !s.status().IsNotFound()) return s.status();
  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sandbox_id);
  auto r = client_.Runtime(&cri::RuntimeService::Stub::RemovePodSandbox, rm);
  if (!r.ok() && !r.status().IsNotFound()) return r.status();
  return Status::Ok();
}

void CriRuntime::Impl::Notify() {
  std::function<void()> listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listener = listener_;
  }
  if (listener) listener();
}

void CriRuntime::Impl::Worker(PodRun& pod) {
  PodWorker worker(*this, pod);
  SteadyClock::time_point next = SteadyClock::now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      pod.cv.wait_until(lock, next, [&] { return pod.wake || pod.stop || stopping_; });
      if (stopping_ && !pod.stop) return;  // the agent is going away: leave the pod running
      if (pod.stop) break;
      pod.wake = false;
    }
    next = worker.Step();
    PodState state = worker.State();
    bool changed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      state.cpu_nano_cores = pod.cpu_nano_cores;
      state.memory_working_set_bytes = pod.memory_bytes;
      changed = !pod.has_published || PodStatusText(state) != PodStatusText(pod.published);
      pod.published = std::move(state);
      pod.has_published = true;
    }
    if (changed) Notify();
  }
  milliseconds grace;
  {
    std::lock_guard<std::mutex> lock(mu_);
    grace = pod.grace;
  }
  worker.Teardown(grace);
}

Status CriRuntime::Impl::RunPod(const PodSpec& spec) {
  if (spec.uid.empty()) return Status::InvalidArgument("pod " + spec.name + " has no uid");
  if (spec.containers.empty()) return Status::InvalidArgument("pod " + spec.name + " has no containers");
  for (const auto& c : spec.containers)
    if (c.image.empty()) return Status::InvalidArgument("pod " + spec.name + ": container " + c.name + " has no image");
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("the CRI runtime is shutting down");
  if (pods_.count(spec.uid)) return Status::Ok();
  auto pod = std::make_unique<PodRun>();
  pod->spec = spec;
  pod->pod_dir_name = PathSegment(spec.uid);
  pod->log_dir = LogDirFor(options_.root, spec.namespace_, spec.name, spec.uid);
  for (const auto& c : pod->spec.init_containers) pod->init.push_back(ContainerRun{&c, true});
  for (const auto& c : pod->spec.containers) pod->main.push_back(ContainerRun{&c, false});
  PodRun* raw = pod.get();
  auto found = found_.find(spec.uid);
  std::optional<FoundSandbox> adopt;
  if (found != found_.end()) {
    adopt = std::move(found->second);
    found_.erase(found);
  }
  pods_.emplace(spec.uid, std::move(pod));
  raw->worker = std::thread([this, raw, adopt = std::move(adopt)]() mutable {
    if (adopt) {
      if (adopt->sandbox.state() == cri::SANDBOX_READY) {
        PodWorker(*this, *raw).Adopt(*adopt);
        Log("pod " + raw->spec.namespace_ + "/" + raw->spec.name + ": adopted sandbox " +
            adopt->sandbox.id().substr(0, 12));
      } else {
        (void)RemoveOrphan(adopt->sandbox.id());
      }
    }
    Worker(*raw);
  });
  return Status::Ok();
}

Status CriRuntime::Impl::StopPod(const std::string& uid, milliseconds grace) {
  std::unique_ptr<PodRun> pod;
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(uid);
    if (it == pods_.end()) {
      auto found = found_.find(uid);
      if (found == found_.end()) return Status::Ok();
      const cri::PodSandbox sandbox = found->second.sandbox;
      found_.erase(found);
      mu_.unlock();
      Status s = RemoveOrphan(sandbox.id());
      // Its volumes and logs go too (the PVC folders stay, as always).
      std::error_code ec;
      fs::remove_all(options_.root / "pods" / PathSegment(uid), ec);
      fs::remove_all(LogDirFor(options_.root, sandbox.metadata().namespace_(), sandbox.metadata().name(), uid), ec);
      mu_.lock();
      return s;
    }
    it->second->stop = true;
    it->second->grace = grace;
    it->second->cv.notify_all();
    worker = std::move(it->second->worker);
  }
  if (worker.joinable()) worker.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(uid);
    if (it != pods_.end()) {
      pod = std::move(it->second);
      pods_.erase(it);
    }
  }
  return Status::Ok();
}

Result<PodState> CriRuntime::Impl::PodStatus(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return Status::NotFound("the CRI runtime runs no pod " + uid);
  if (!it->second->has_published) {
    PodState pending;
    for (const auto& c : it->second->spec.containers) pending.containers.push_back({c.name, c.image});
    return pending;
  }
  return it->second->published;
}

Result<std::vector<std::string>> CriRuntime::Impl::ListPods() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [uid, pod] : pods_) out.push_back(uid);
  for (const auto& [uid, found] : found_) out.push_back(uid);
  return out;
}

void CriRuntime::Impl::SetChangeListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

Result<fs::path> CriRuntime::Impl::LogPath(const std::string& ns, const std::string& name,
                                           const std::string& container, bool previous) {
  std::lock_guard<std::mutex> lock(mu_);
  const PodRun* pod = nullptr;
  for (const auto& [uid, p] : pods_)
    if (p->spec.namespace_ == ns && p->spec.name == name && !p->stop) pod = p.get();
  if (!pod) return Status::NotFound("pod " + ns + "/" + name + " does not run on this node");
  std::string names;
  for (const auto* list : {&pod->spec.containers, &pod->spec.init_containers})
    for (const auto& c : *list) {
      names += (names.empty() ? "" : ", ") + c.name;
      if (!container.empty() && c.name != container) continue;
      if (container.empty() && pod->spec.containers.size() > 1)
        return Status::InvalidArgument("pod " + name + " has several containers (" + names +
                                       "...): name one with -c");
      uint32_t attempt = 0;
      if (pod->has_published)
        for (const auto& s : pod->published.containers)
          if (s.name == c.name) attempt = static_cast<uint32_t>(s.restart_count);
      if (previous) {
        if (attempt == 0) return Status::NotFound("container " + c.name + " of pod " + name + " has not restarted");
        --attempt;
      }
      fs::path path = pod->log_dir / c.name / (std::to_string(attempt) + ".log");
      if (!fs::exists(path))
        return Status::NotFound("no log yet for container " + c.name + " of pod " + name + " (" + path.string() + ")");
      return path;
    }
  return Status::NotFound("pod " + name + " has no container \"" + container + "\" (it has " + names + ")");
}

bool CriRuntime::Impl::HasPod(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [uid, p] : pods_)
    if (p->spec.namespace_ == ns && p->spec.name == name && !p->stop) return true;
  return false;
}

void CriRuntime::Impl::PollLoop() {
  auto next_stats = SteadyClock::now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      poll_cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
      if (stopping_) return;
    }
    bool stats = SteadyClock::now() >= next_stats;
    if (stats) next_stats = SteadyClock::now() + options_.stats_interval;
    PollOnce(stats);
  }
}

void CriRuntime::Impl::PollOnce(bool with_stats) {
  cri::ListContainersRequest req;
  (*req.mutable_filter()->mutable_label_selector())[kManagedLabel] = "true";
  auto list = client_.Runtime(&cri::RuntimeService::Stub::ListContainers, req);
  if (!list.ok()) return;  // the runtime is down; the pods retry on their own
  std::set<std::string> changed_pods;
  std::unordered_map<std::string, std::pair<std::string, int>> now;
  for (const auto& c : list->containers()) {
    auto uid = c.labels().find(kPodUidLabel);
    if (uid == c.labels().end()) continue;
    now[c.id()] = {uid->second, c.state()};
    auto it = seen_.find(c.id());
    if (it == seen_.end() || it->second.second != c.state()) changed_pods.insert(uid->second);
  }
  for (const auto& [id, seen] : seen_)
    if (!now.count(id)) changed_pods.insert(seen.first);
  seen_ = std::move(now);

  std::unordered_map<std::string, std::pair<int64_t, int64_t>> usage;  // uid -> (cpu, memory)
  if (with_stats) {
    cri::ListContainerStatsRequest sreq;
    (*sreq.mutable_filter()->mutable_label_selector())[kManagedLabel] = "true";
    if (auto stats = client_.Runtime(&cri::RuntimeService::Stub::ListContainerStats, sreq); stats.ok()) {
      for (const auto& s : stats->stats()) {
        auto uid = s.attributes().labels().find(kPodUidLabel);
        if (uid == s.attributes().labels().end()) continue;
        auto& u = usage[uid->second];
        u.first += static_cast<int64_t>(s.cpu().usage_nano_cores().value());
        u.second += static_cast<int64_t>(s.memory().working_set_bytes().value());
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [uid, pod] : pods_) {
    if (with_stats) {
      auto it = usage.find(uid);
      int64_t cpu = it == usage.end() ? 0 : it->second.first;
      int64_t mem = it == usage.end() ? 0 : it->second.second;
      // Only a real move is taken (10 %, at least 5m CPU or 256 KiB), so that
      // usage noise does not rewrite the pod's status every poll.
      auto moved = [](int64_t now_v, int64_t was, int64_t floor) {
        return was < 0 || std::llabs(now_v - was) >= std::max<int64_t>(was / 10, floor);
      };
      if (moved(cpu, pod->cpu_nano_cores, 5'000'000) || moved(mem, pod->memory_bytes, 256 << 10)) {
        pod->cpu_nano_cores = cpu;
        pod->memory_bytes = mem;
        pod->wake = true;
      }
    }
    if (changed_pods.count(uid)) pod->wake = true;
    if (pod->wake) pod->cv.notify_all();
  }
}

CriRuntime::CriRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CriRuntime::~CriRuntime() = default;

Result<std::unique_ptr<CriRuntime>> CriRuntime::Connect(CriOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<CriRuntime>(new CriRuntime(std::move(impl)));
}

Status CriRuntime::RunPod(const PodSpec& pod) { return impl_->RunPod(pod); }
Status CriRuntime::StopPod(const std::string& uid, milliseconds grace) { return impl_->StopPod(uid, grace); }
Result<PodState> CriRuntime::PodStatus(const std::string& uid) { return impl_->PodStatus(uid); }
Result<std::vector<std::string>> CriRuntime::ListPods() { return impl_->ListPods(); }
void CriRuntime::SetChangeListener(std::function<void()> listener) { impl_->SetChangeListener(std::move(listener)); }
Result<fs::path> CriRuntime::LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                     bool previous) {
  return impl_->LogPath(ns, pod, container, previous);
}
bool CriRuntime::HasPod(const std::string& ns, const std::string& pod) { return impl_->HasPod(ns, pod); }

}  // namespace gorch::agent
