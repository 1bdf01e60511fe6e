// One pod's worker: its sandbox, its containers' runs, restarts with backoff,
// probes, and the state it reports (cri_internal.h).
#include <chrono>
#include <future>

#include "cri_internal.h"
#include "probes.h"
#include "volumes.h"

namespace gorch::agent {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t NanosToMs(int64_t ns) { return ns / 1'000'000; }

int64_t MsSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t).count();
}

std::string Seconds(milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s" : std::to_string(d.count()) + "ms";
}

bool Restarts(const std::string& policy, int32_t exit_code) {
  return policy == "Always" || (policy == "OnFailure" && exit_code != 0);
}

}  // namespace

cri::PodSandboxConfig PodWorker::SandboxConfig(const CriOptions& options, const PodSpec& spec,
                                               const fs::path& log_dir) {
  cri::PodSandboxConfig config;
  auto* meta = config.mutable_metadata();
  meta->set_name(spec.name);
  meta->set_namespace_(spec.namespace_);
  meta->set_uid(spec.uid);
  meta->set_attempt(0);
  config.set_log_directory(log_dir.string());
  const bool host = spec.host_network || options.pod_network != "cni";
  if (!host) config.set_hostname(spec.hostname.empty() ? spec.name : spec.hostname);
  for (const auto& [k, v] : spec.labels) (*config.mutable_labels())[k] = v;
  for (const auto& [k, v] : spec.annotations) (*config.mutable_annotations())[k] = v;
  for (auto* m : {config.mutable_labels(), config.mutable_annotations()}) {
    (*m)[kManagedLabel] = "true";
    (*m)[kPodUidLabel] = spec.uid;
    (*m)[kPodNameLabel] = spec.name;
    (*m)[kPodNamespaceLabel] = spec.namespace_;
  }
  auto* ns_options = config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns_options->set_network(host ? cri::NODE : cri::POD);
  ns_options->set_pid(cri::CONTAINER);
  ns_options->set_ipc(cri::POD);
  if (!host) {
    for (const auto& c : spec.containers)
      for (const auto& p : c.ports) {
        if (p.host_port == 0) continue;
        auto* pm = config.add_port_mappings();
        pm->set_container_port(p.container_port);
        pm->set_host_port(p.host_port);
        pm->set_protocol(p.protocol == "UDP" ? cri::UDP : p.protocol == "SCTP" ? cri::SCTP : cri::TCP);
      }
  }
  return config;
}

void PodWorker::ResetSandbox(const std::string& why) {
  impl_.Log("pod " + pod_.spec.namespace_ + "/" + pod_.spec.name + ": sandbox " + pod_.sandbox_id.substr(0, 12) +
            " is gone (" + why + "); creating it again");
  pod_.sandbox_id.clear();
  for (auto* list : {&pod_.init, &pod_.main})
    for (auto& c : *list) {
      if (!c.id.empty() && !c.done) {
        c.id.clear();
        ++c.attempt;
      }
      c.state = cri::CONTAINER_UNKNOWN;
    }
}

bool PodWorker::EnsureSandbox() {
  if (!pod_.sandbox_id.empty()) return true;
  const auto now = SteadyClock::now();
  if (now < pod_.sandbox_not_before) return false;
  const std::string name = pod_.spec.namespace_ + "/" + pod_.spec.name;
  auto fail = [&](const std::string& reason, const std::string& message) {
    pod_.reason = reason;
    pod_.message = message;
    pod_.sandbox_not_before = SteadyClock::now() + impl_.Backoff(++pod_.sandbox_failures);
    impl_.Log("pod " + name + ": " + message);
    return false;
  };
  const fs::path pod_dir = impl_.options().root / "pods" / pod_.pod_dir_name;
  auto volumes = PrepareVolumes(pod_.spec, pod_dir, impl_.options().root / "pvc", impl_.options().get_object);
  if (!volumes.ok()) return fail("CreateContainerConfigError", volumes.status().message());
  std::error_code ec;
  fs::create_directories(pod_.log_dir, ec);
  pod_.sandbox_config = SandboxConfig(impl_.options(), pod_.spec, pod_.log_dir);
  cri::RunPodSandboxRequest req;
  *req.mutable_config() = pod_.sandbox_config;
  const auto sandbox_begin = SteadyClock::now();
  auto resp = impl_.client().Runtime(&cri::RuntimeService::Stub::RunPodSandbox, req);
  pod_.sandbox_ms = MsSince(sandbox_begin);
  if (!resp.ok()) return fail("SandboxCreateFailed", "cannot create the pod sandbox: " + resp.status().message());
  pod_.sandbox_id = resp->pod_sandbox_id();
  pod_.reason.clear();
  pod_.message.clear();
  pod_.sandbox_failures = 0;
  pod_.started_ms = NowMs();
  pod_.ip = impl_.options().host_ip;
  if (!pod_.spec.host_network && impl_.options().pod_network == "cni") {
    cri::PodSandboxStatusRequest sreq;
    sreq.set_pod_sandbox_id(pod_.sandbox_id);
    auto status = impl_.client().Runtime(&cri::RuntimeService::Stub::PodSandboxStatus, sreq);
    if (status.ok() && !status->status().network().ip().empty()) pod_.ip = status->status().network().ip();
  }
  return true;
}

void PodWorker::Adopt(const FoundSandbox& found) {
  pod_.sandbox_id = found.sandbox.id();
  pod_.started_ms = NanosToMs(found.sandbox.created_at());
  pod_.sandbox_config = SandboxConfig(impl_.options(), pod_.spec, pod_.log_dir);
  pod_.ip = impl_.options().host_ip;
  cri::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(pod_.sandbox_id);
  auto status = impl_.client().Runtime(&cri::RuntimeService::Stub::PodSandboxStatus, sreq);
  if (status.ok() && !status->status().network().ip().empty()) pod_.ip = status->status().network().ip();
  for (auto* list : {&pod_.init, &pod_.main})
    for (auto& c : *list) {
      // The newest run of each container.
      const cri::Container* newest = nullptr;
      for (const auto& k : found.containers) {
        auto it = k.labels().find(kContainerNameLabel);
        if (it == k.labels().end() || it->second != c.spec->name) continue;
        if (!newest || k.metadata().attempt() > newest->metadata().attempt()) newest = &k;
      }
      if (!newest) continue;
      c.id = newest->id();
      c.attempt = newest->metadata().attempt();
      // A running container adopted is trusted as started and ready until its
      // probes say otherwise: an agent restart must not flip a pod to unready.
      c.started = true;
      c.ready = true;
      auto now = SteadyClock::now();
      c.live_due = c.ready_due = c.start_due = now;
    }
}

void PodWorker::Refresh(ContainerRun& c) {
  if (c.id.empty()) return;
  cri::ContainerStatusRequest req;
  req.set_container_id(c.id);
  auto resp = impl_.client().Runtime(&cri::RuntimeService::Stub::ContainerStatus, req);
  if (!resp.ok()) {
    if (!resp.status().IsNotFound()) return;  // the runtime is down: keep what we know
    // The container is gone (removed behind our back): run it again.
    cri::PodSandboxStatusRequest sreq;
    sreq.set_pod_sandbox_id(pod_.sandbox_id);
    auto sandbox = impl_.client().Runtime(&cri::RuntimeService::Stub::PodSandboxStatus, sreq);
    if (!sandbox.ok() && sandbox.status().IsNotFound()) {
      ResetSandbox("not found");
      return;
    }
    c.id.clear();
    if (!c.done) ++c.attempt;
    c.state = cri::CONTAINER_UNKNOWN;
    return;
  }
  const auto& s = resp->status();
  c.state = s.state();
  c.started_ms = NanosToMs(s.started_at());
  c.finished_ms = NanosToMs(s.finished_at());
  c.exit_code = s.exit_code();
  c.reason = s.reason();
  c.message = s.message();
  if (c.state == cri::CONTAINER_EXITED && !c.exit_handled) OnExit(c);
}

void PodWorker::OnExit(ContainerRun& c) {
  c.exit_handled = true;
  c.ready = false;
  if (c.reason.empty() || c.reason == "Completed" || c.reason == "Error")
    c.reason = c.exit_code == 0 ? "Completed" : "Error";
  if (!c.kill_reason.empty()) c.reason = c.kill_reason;
  const std::string policy = c.init && pod_.spec.restart_policy == "Always" ? "OnFailure" : pod_.spec.restart_policy;
  const std::string name = pod_.spec.namespace_ + "/" + pod_.spec.name + " container " + c.spec->name;
  if (c.init && c.exit_code == 0) {
    c.done = true;
    return;
  }
  if (!Restarts(policy, c.exit_code) && c.kill_reason.empty()) {
    c.done = true;
    if (c.init) pod_.failed = true;
    impl_.Log("pod " + name + " exited with code " + std::to_string(c.exit_code));
    return;
  }
  // A run that lasted long (twice the cap) resets the backoff, as the kubelet does.
  if (c.finished_ms - c.started_ms > 2 * impl_.options().backoff_cap.count()) c.crashes = 0;
  milliseconds delay = impl_.Backoff(++c.crashes);
  c.not_before = SteadyClock::now() + delay;
  impl_.Log("pod " + name + " exited with code " + std::to_string(c.exit_code) + "; restarting in " + Seconds(delay));
}

bool PodWorker::StartContainer(ContainerRun& c) {
  const ContainerSpec& spec = *c.spec;
  auto now = SteadyClock::now();
  if (now < c.not_before) {
    if (c.waiting_reason == "ErrImagePull") c.waiting_reason = "ImagePullBackOff";
    if (!c.id.empty()) {
      c.waiting_reason = "CrashLoopBackOff";
      c.waiting_message = "back-off " + Seconds(impl_.Backoff(c.crashes)) + " restarting failed container=" +
                          spec.name + " pod=" + pod_.spec.name;
    }
    return false;
  }
  const std::string name = pod_.spec.namespace_ + "/" + pod_.spec.name + " container " + spec.name;
  auto fail = [&](const std::string& reason, const std::string& message, int* counter) {
    c.waiting_reason = reason;
    c.waiting_message = message;
    c.not_before = SteadyClock::now() + impl_.Backoff(++*counter);
    impl_.Log("pod " + name + ": " + reason + ": " + message);
    return false;
  };
  if (Status s = impl_.EnsureImage(spec.image); !s.ok()) {
    if (s.IsUnavailable() && s.message().find("did not answer") == std::string::npos) return false;  // runtime down
    // The first retry of a pull waits a whole base period (a registry that said no
    // will not say yes at once); meanwhile the container shows ImagePullBackOff.
    ++c.pull_failures;
    return fail("ErrImagePull", s.message(), &c.pull_failures);
  }
  c.pull_failures = 0;
  auto env = ResolveEnv(spec, pod_.spec.namespace_, impl_.options().get_object);
  if (!env.ok()) return fail("CreateContainerConfigError", env.status().message(), &c.crashes);
  const fs::path pod_dir = impl_.options().root / "pods" / pod_.pod_dir_name;
  auto volumes = PrepareVolumes(pod_.spec, pod_dir, impl_.options().root / "pvc", impl_.options().get_object);
  if (!volumes.ok()) return fail("CreateContainerConfigError", volumes.status().message(), &c.crashes);

  // The run before the previous one is removed; the previous one stays for `logs --previous`.
  const uint32_t attempt = c.id.empty() ? c.attempt : c.attempt + 1;
  cri::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_.sandbox_id);
  *req.mutable_sandbox_config() = pod_.sandbox_config;
  auto* config = req.mutable_config();
  config->mutable_metadata()->set_name(spec.name);
  config->mutable_metadata()->set_attempt(attempt);
  config->mutable_image()->set_image(spec.image);
  for (const auto& a : spec.command) config->add_command(a);
  for (const auto& a : spec.args) config->add_args(a);
  config->set_working_dir(spec.working_dir);
  for (const auto& [k, v] : *env) {
    auto* kv = config->add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  for (const auto& m : spec.volume_mounts) {
    auto it = volumes->find(m.name);
    if (it == volumes->end()) return fail("CreateContainerConfigError", "volume \"" + m.name + "\" not found", &c.crashes);
    auto* mount = config->add_mounts();
    mount->set_container_path(m.mount_path);
    mount->set_host_path((m.sub_path.empty() ? it->second : it->second / m.sub_path).string());
    const Volume* vol = nullptr;
    for (const auto& v : pod_.spec.volumes)
      if (v.name == m.name) vol = &v;
    mount->set_readonly(m.read_only || (vol && (vol->kind == Volume::Kind::kConfigMap ||
                                                vol->kind == Volume::Kind::kSecret || vol->read_only)));
  }
  for (auto* m : {config->mutable_labels(), config->mutable_annotations()}) {
    (*m)[kManagedLabel] = "true";
    (*m)[kPodUidLabel] = pod_.spec.uid;
    (*m)[kPodNameLabel] = pod_.spec.name;
    (*m)[kPodNamespaceLabel] = pod_.spec.namespace_;
    (*m)[kContainerNameLabel] = spec.name;
  }
  config->set_log_path(spec.name + "/" + std::to_string(attempt) + ".log");
  auto* resources = config->mutable_linux()->mutable_resources();
  if (spec.cpu_limit_millis > 0) {
    resources->set_cpu_period(100'000);
    resources->set_cpu_quota(std::max<int64_t>(spec.cpu_limit_millis * 100, 1000));
  }
  int64_t shares_millis = spec.cpu_request_millis > 0 ? spec.cpu_request_millis : spec.cpu_limit_millis;
  if (shares_millis > 0) resources->set_cpu_shares(std::max<int64_t>(shares_millis * 1024 / 1000, 2));
  if (spec.memory_limit_bytes > 0) resources->set_memory_limit_in_bytes(spec.memory_limit_bytes);

  std::error_code ec;
  fs::create_directories(pod_.log_dir / spec.name, ec);
  const auto create_begin = SteadyClock::now();
  auto created = impl_.client().Runtime(&cri::RuntimeService::Stub::CreateContainer, req);
  const int64_t create_ms = MsSince(create_begin);
  if (!created.ok()) {
    if (created.status().IsUnavailable()) return false;
    impl_.ForgetImage(spec.image);
    return fail("CreateContainerError", created.status().message(), &c.crashes);
  }
  cri::StartContainerRequest start;
  start.set_container_id(created->container_id());
  const auto start_begin = SteadyClock::now();
  auto started = impl_.client().Runtime(&cri::RuntimeService::Stub::StartContainer, start);
  const int64_t start_ms = MsSince(start_begin);
  // The previous run is kept for its logs; the one before it goes now.
  if (!c.id.empty()) {
    cri::ListContainersRequest list;
    list.mutable_filter()->set_pod_sandbox_id(pod_.sandbox_id);
    (*list.mutable_filter()->mutable_label_selector())[kContainerNameLabel] = spec.name;
    if (auto old = impl_.client().Runtime(&cri::RuntimeService::Stub::ListContainers, list); old.ok())
      for (const auto& k : old->containers())
        if (k.id() != c.id && k.id() != created->container_id()) {
          cri::RemoveContainerRequest rm;
          rm.set_container_id(k.id());
          (void)impl_.client().Runtime(&cri::RuntimeService::Stub::RemoveContainer, rm);
        }
    c.has_last = true;
    c.last_exit_code = c.exit_code;
    c.last_reason = c.reason;
    c.last_started_ms = c.started_ms;
    c.last_finished_ms = c.finished_ms;
  }
  c.id = created->container_id();
  c.attempt = attempt;
  c.exit_handled = false;
  c.kill_reason.clear();
  c.state = cri::CONTAINER_CREATED;
  if (!started.ok()) {
    // The run failed to start (bad command...): counts as a crash.
    c.state = cri::CONTAINER_EXITED;
    c.reason = "StartError";
    c.message = started.status().message();
    c.exit_code = 128;
    c.started_ms = c.finished_ms = NowMs();
    c.waiting_reason = "RunContainerError";
    c.waiting_message = started.status().message();
    OnExit(c);
    c.reason = "StartError";
    return false;
  }
  c.waiting_reason.clear();
  c.waiting_message.clear();
  c.state = cri::CONTAINER_RUNNING;
  c.started_ms = NowMs();
  c.started = !spec.startup.has_value();
  c.ready = false;
  c.live_failures = c.ready_successes = c.ready_failures = c.start_failures = 0;
  auto at = [&](const std::optional<Probe>& p) {
    return SteadyClock::now() + seconds(p ? p->initial_delay_seconds : 0);
  };
  c.live_due = at(spec.liveness);
  c.ready_due = at(spec.readiness);
  c.start_due = at(spec.startup);
  // The CRI calls' times, for finding where a slow start went.
  std::string took = "create " + std::to_string(create_ms) + " ms, start " + std::to_string(start_ms) + " ms";
  if (pod_.sandbox_ms >= 0) took = "sandbox " + std::to_string(pod_.sandbox_ms) + " ms, " + took;
  pod_.sandbox_ms = -1;
  impl_.Log("pod " + name + " started (" + created->container_id().substr(0, 12) +
            (attempt > 0 ? ", restart " + std::to_string(attempt) : std::string()) + "; " + took + ")");
  return true;
}

bool PodWorker::RunProbe(const Probe& probe, const ContainerRun& c, std::string* message) {
  const milliseconds timeout = seconds(probe.timeout_seconds);
  const std::string host = probe.host.empty() ? pod_.ip : probe.host;
  switch (probe.kind) {
    case Probe::Kind::kExec: {
      cri::ExecSyncRequest req;
      req.set_container_id(c.id);
      for (const auto& a : probe.command) req.add_cmd(a);
      req.set_timeout(probe.timeout_seconds);
      auto resp = impl_.client().Runtime(&cri::RuntimeService::Stub::ExecSync, req, timeout + seconds(2));
      if (!resp.ok()) {
        *message = resp.status().message();
        return false;
      }
      if (resp->exit_code() == 0) return true;
      *message = "command exited with " + std::to_string(resp->exit_code()) + ": " + resp->stdout() + resp->stderr();
      return false;
    }
    case Probe::Kind::kHttpGet: {
      ProbeOutcome o = HttpProbe(host, probe.port, probe.path, timeout);
      *message = o.message;
      return o.success;
    }
    case Probe::Kind::kTcpSocket: {
      ProbeOutcome o = TcpProbe(host, probe.port, timeout);
      *message = o.message;
      return o.success;
    }
  }
  return false;
}

void PodWorker::RunProbes(ContainerRun& c, SteadyClock::time_point now, SteadyClock::time_point* next) {
  const ContainerSpec& spec = *c.spec;
  if (c.state != cri::CONTAINER_RUNNING) return;
  const std::string name = pod_.spec.namespace_ + "/" + pod_.spec.name + " container " + spec.name;
  auto kill = [&](const std::string& why) {
    impl_.Log("pod " + name + ": " + why + "; restarting it");
    c.kill_reason = "Error";
    cri::StopContainerRequest req;
    req.set_container_id(c.id);
    req.set_timeout(pod_.spec.termination_grace_seconds >= 0 ? pod_.spec.termination_grace_seconds : 30);
    (void)impl_.client().Runtime(&cri::RuntimeService::Stub::StopContainer, req,
                                 seconds(req.timeout() + 10));
    Refresh(c);
  };
  std::string message;
  if (!c.started) {
    if (now >= c.start_due) {
      if (RunProbe(*spec.startup, c, &message)) {
        c.started = true;
        c.live_due = now + seconds(spec.liveness ? spec.liveness->initial_delay_seconds : 0);
        c.ready_due = now + seconds(spec.readiness ? spec.readiness->initial_delay_seconds : 0);
      } else if (++c.start_failures >= spec.startup->failure_threshold) {
        return kill("startup probe failed: " + message);
      }
      c.start_due = now + seconds(spec.startup->period_seconds);
    }
    if (!c.started) {
      *next = std::min(*next, c.start_due);
      return;
    }
  }
  if (spec.liveness) {
    if (now >= c.live_due) {
      if (RunProbe(*spec.liveness, c, &message)) {
        c.live_failures = 0;
      } else if (++c.live_failures >= spec.liveness->failure_threshold) {
        return kill("liveness probe failed: " + message);
      }
      c.live_due = now + seconds(spec.liveness->period_seconds);
    }
    *next = std::min(*next, c.live_due);
  }
  if (spec.readiness) {
    if (now >= c.ready_due) {
      if (RunProbe(*spec.readiness, c, &message)) {
        c.ready_failures = 0;
        if (++c.ready_successes >= spec.readiness->success_threshold) c.ready = true;
      } else {
        c.ready_successes = 0;
        if (++c.ready_failures >= spec.readiness->failure_threshold) c.ready = false;
      }
      c.ready_due = now + seconds(spec.readiness->period_seconds);
    }
    *next = std::min(*next, c.ready_due);
  } else {
    c.ready = true;
  }
}

SteadyClock::time_point PodWorker::Step() {
  // The poller wakes the pod when its containers change; this is only a safety net.
  const auto resync = SteadyClock::now() + seconds(15);
  if (!EnsureSandbox()) return std::min(resync, pod_.sandbox_not_before);
  for (auto* list : {&pod_.init, &pod_.main})
    for (auto& c : *list) Refresh(c);
  if (pod_.sandbox_id.empty()) return SteadyClock::now();  // the sandbox vanished: again at once
  SteadyClock::time_point next = resync;
  // Init containers one at a time, in order; the regular ones after all of them.
  bool inits_done = true;
  for (auto& c : pod_.init) {
    if (c.done) continue;
    inits_done = false;
    if (pod_.failed) break;
    if (c.id.empty() || (c.state == cri::CONTAINER_EXITED && !c.done)) {
      if (!StartContainer(c)) next = std::min(next, c.not_before);
    }
    break;
  }
  if (!inits_done || pod_.failed) return next;
  const auto now = SteadyClock::now();
  for (auto& c : pod_.main) {
    if (c.done) continue;
    if (c.id.empty() || c.state == cri::CONTAINER_EXITED) {
      if (!StartContainer(c))
        next = std::min(next, c.waiting_reason == "ErrImagePull" ? now + milliseconds(100)
                                                                 : std::max(c.not_before, now + milliseconds(50)));
    }
    RunProbes(c, SteadyClock::now(), &next);
  }
  return next;
}

PodState PodWorker::State() const {
  PodState state;
  state.pod_ip = pod_.ip;
  state.started_at_ms = pod_.started_ms;
  state.reason = pod_.reason;
  state.message = pod_.message;
  auto status_of = [&](const ContainerRun& c) {
    ContainerStatus s;
    s.name = c.spec->name;
    s.image = c.spec->image;
    s.restart_count = static_cast<int32_t>(c.attempt);
    s.container_id = c.id.empty() ? "" : "containerd://" + c.id;
    s.has_last = c.has_last;
    s.last_exit_code = c.last_exit_code;
    s.last_reason = c.last_reason;
    s.last_started_at_ms = c.last_started_ms;
    s.last_finished_at_ms = c.last_finished_ms;
    if (!c.id.empty() && c.state == cri::CONTAINER_RUNNING) {
      s.state = ContainerState::kRunning;
      s.started_at_ms = c.started_ms;
      s.ready = c.ready && c.started;
    } else if (!c.id.empty() && c.state == cri::CONTAINER_EXITED && (c.done || c.waiting_reason.empty())) {
      s.state = ContainerState::kExited;
      s.exit_code = c.exit_code;
      s.reason = c.reason;
      s.message = c.message;
      s.started_at_ms = c.started_ms;
      s.finished_at_ms = c.finished_ms;
    } else {
      s.state = ContainerState::kWaiting;
      s.reason = c.waiting_reason.empty() ? (pod_.reason.empty() ? "ContainerCreating" : pod_.reason) : c.waiting_reason;
      s.message = c.waiting_reason.empty() ? pod_.message : c.waiting_message;
      if (!c.id.empty() && c.state == cri::CONTAINER_EXITED && !c.done) {
        // Waiting to restart: the run that ended is the last state.
        s.has_last = true;
        s.last_exit_code = c.exit_code;
        s.last_reason = c.reason;
        s.last_started_at_ms = c.started_ms;
        s.last_finished_at_ms = c.finished_ms;
      }
    }
    return s;
  };
  for (const auto& c : pod_.main) state.containers.push_back(status_of(c));
  bool inits_done = true;
  for (const auto& c : pod_.init) inits_done = inits_done && c.done && c.exit_code == 0;
  bool all_done = !pod_.main.empty(), all_zero = true, any_started = false;
  for (const auto& c : pod_.main) {
    all_done = all_done && c.done;
    all_zero = all_zero && c.exit_code == 0;
    any_started = any_started || !c.id.empty();
  }
  if (pod_.failed) {
    state.phase = PodPhase::kFailed;
    state.reason = "InitContainerFailed";
  } else if (!inits_done || pod_.sandbox_id.empty() || !any_started) {
    state.phase = PodPhase::kPending;
  } else if (all_done) {
    state.phase = all_zero ? PodPhase::kSucceeded : PodPhase::kFailed;
  } else {
    state.phase = PodPhase::kRunning;
  }
  return state;
}

void PodWorker::Teardown(milliseconds grace) {
  if (pod_.spec.termination_grace_seconds >= 0) grace = seconds(pod_.spec.termination_grace_seconds);
  if (!pod_.sandbox_id.empty()) {
    cri::ListContainersRequest list;
    list.mutable_filter()->set_pod_sandbox_id(pod_.sandbox_id);
    std::vector<std::string> ids;
    if (auto resp = impl_.client().Runtime(&cri::RuntimeService::Stub::ListContainers, list); resp.ok())
      for (const auto& k : resp->containers()) ids.push_back(k.id());
    // Every container gets its grace period at the same time.
    std::vector<std::future<void>> stops;
    for (const auto& id : ids)
      stops.push_back(std::async(std::launch::async, [this, id, grace] {
        cri::StopContainerRequest stop;
        stop.set_container_id(id);
        stop.set_timeout(std::chrono::duration_cast<seconds>(grace).count());
        (void)impl_.client().Runtime(&cri::RuntimeService::Stub::StopContainer, stop, grace + seconds(10));
        cri::RemoveContainerRequest rm;
        rm.set_container_id(id);
        (void)impl_.client().Runtime(&cri::RuntimeService::Stub::RemoveContainer, rm);
      }));
    for (auto& f : stops) f.get();
    cri::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_.sandbox_id);
    (void)impl_.client().Runtime(&cri::RuntimeService::Stub::StopPodSandbox, stop);
    cri::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod_.sandbox_id);
    (void)impl_.client().Runtime(&cri::RuntimeService::Stub::RemovePodSandbox, rm);
  }
  std::error_code ec;
  fs::remove_all(impl_.options().root / "pods" / pod_.pod_dir_name, ec);
  fs::remove_all(pod_.log_dir, ec);
}

}  // namespace gorch::agent
