// The CRI runtime's insides, shared by cri_runtime.cc (the runtime, its poller,
// adoption) and cri_pod.cc (one pod's worker: sandbox, containers, restarts,
// probes). Not a public header.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "cri_client.h"
#include "gorch/agent/cri_runtime.h"
#include "pod_convert.h"

namespace gorch::agent {

using SteadyClock = std::chrono::steady_clock;
namespace cri = ::runtime::v1;

// The state as the agent would report it (to tell a change).
inline std::string PodStatusText(const PodState& s) { return PodStatusJson(s, ""); }

// One container of a pod (an init or a regular one) over its runs.
struct ContainerRun {
  const ContainerSpec* spec = nullptr;  // points into PodRun::spec
  bool init = false;
  std::string id;        // the current run's CRI container ("": none yet)
  uint32_t attempt = 0;  // the current run's metadata.attempt = restarts so far
  // The current run as last seen.
  cri::ContainerState state = cri::CONTAINER_UNKNOWN;
  int32_t exit_code = 0;
  std::string reason, message;
  int64_t started_ms = 0, finished_ms = 0;
  bool exit_handled = false;  // the current run's exit was acted on
  // The previous run (lastState.terminated).
  bool has_last = false;
  int32_t last_exit_code = 0;
  std::string last_reason;
  int64_t last_started_ms = 0, last_finished_ms = 0;
  // Why there is no running container, while waiting ("" = ContainerCreating).
  std::string waiting_reason, waiting_message;
  SteadyClock::time_point not_before{};  // backoff: no (re)start or pull before this
  int crashes = 0;                       // consecutive failed runs, for the backoff
  int pull_failures = 0;
  bool done = false;  // exited and not to be restarted (init: completed)
  // Probes of the current run.
  bool started = true;  // startup probe passed (true without one)
  bool ready = false;
  int live_failures = 0, ready_successes = 0, ready_failures = 0, start_failures = 0;
  SteadyClock::time_point live_due{}, ready_due{}, start_due{};
  std::string kill_reason;  // set when the agent stopped the run (failed liveness)
};

struct PodRun {
  PodSpec spec;
  std::string pod_dir_name;  // PathSegment(uid)
  std::filesystem::path log_dir;
  std::string sandbox_id;
  int64_t sandbox_ms = -1;  // how long RunPodSandbox took, until the next container start logs it
  cri::PodSandboxConfig sandbox_config;
  std::string ip;
  int64_t started_ms = 0;
  std::vector<ContainerRun> init, main;
  std::string reason, message;  // the pod's (sandbox errors)
  int sandbox_failures = 0;
  SteadyClock::time_point sandbox_not_before{};
  bool failed = false;  // an init container failed for good (restartPolicy Never)

  // Control, guarded by CriRuntime::Impl::mu_.
  bool stop = false;
  bool wake = false;
  std::chrono::milliseconds grace{0};
  std::condition_variable cv;
  std::thread worker;
  PodState published;
  bool has_published = false;
  int64_t cpu_nano_cores = -1, memory_bytes = -1;  // from the stats poll
};

// A gorch sandbox found in the runtime that no RunPod claimed yet.
struct FoundSandbox {
  cri::PodSandbox sandbox;
  std::vector<cri::Container> containers;
};

class CriRuntime::Impl {
 public:
  explicit Impl(CriOptions options);
  ~Impl();

  Status Start();  // Version, the root folders, the found sandboxes, the poller
  Status RunPod(const PodSpec& pod);
  Status StopPod(const std::string& uid, std::chrono::milliseconds grace);
  Result<PodState> PodStatus(const std::string& uid);
  Result<std::vector<std::string>> ListPods();
  void SetChangeListener(std::function<void()> listener);
  Result<std::filesystem::path> LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                        bool previous);
  bool HasPod(const std::string& ns, const std::string& pod);

  // ---- used by the pod worker (cri_pod.cc) ----
  const CriOptions& options() const { return options_; }
  CriClient& client() { return client_; }
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  // Delay before the n-th retry (n >= 1): 0 for the first, then base * 2^(n-2), capped.
  std::chrono::milliseconds Backoff(int n) const;
  // Makes the image present: Ok when it is (cached), else pulls it. Concurrent
  // calls for one image share one ImageStatus (and pull).
  Status EnsureImage(const std::string& image);
  void ForgetImage(const std::string& image);

 private:
  // ImageStatus, and PullImage when the runtime does not have the image.
  Status CheckOrPullImage(const std::string& image);
  void PollLoop();
  void PollOnce(bool with_stats);
  // Runs one pod until it is stopped, then tears it down.
  void Worker(PodRun& pod);
  void Notify();
  // Stops and removes a sandbox no PodRun tracks (and, with it, its containers).
  Status RemoveOrphan(const std::string& sandbox_id);

  CriOptions options_;
  CriClient client_;
  std::mutex mu_;  // guards everything below, and PodRun's control fields
  std::unordered_map<std::string, std::unique_ptr<PodRun>> pods_;  // by uid
  std::unordered_map<std::string, FoundSandbox> found_;            // by uid
  std::set<std::string> present_images_;
  std::unordered_map<std::string, std::shared_future<Status>> image_checks_;  // by image, while one runs
  std::function<void()> listener_;
  bool stopping_ = false;
  std::condition_variable poll_cv_;
  std::thread poller_;
  std::unordered_map<std::string, std::pair<std::string, int>> seen_;  // container id -> (pod uid, state)
};

// The per-pod worker (cri_pod.cc): runs until pod.stop, then tears the pod down.
class PodWorker {
 public:
  PodWorker(CriRuntime::Impl& impl, PodRun& pod) : impl_(impl), pod_(pod) {}
  // One reconcile pass; returns when it wants to run again at the latest.
  SteadyClock::time_point Step();
  PodState State() const;
  // Makes the pod adopt a found sandbox and its containers.
  void Adopt(const FoundSandbox& found);
  // Stops and removes every container and the sandbox (grace for each container).
  void Teardown(std::chrono::milliseconds grace);
  // The sandbox config for this pod (deterministic: also for an adopted sandbox).
  static cri::PodSandboxConfig SandboxConfig(const CriOptions& options, const PodSpec& spec,
                                             const std::filesystem::path& log_dir);

 private:
  bool EnsureSandbox();
  void Refresh(ContainerRun& c);
  void OnExit(ContainerRun& c);
  bool StartContainer(ContainerRun& c);
  void RunProbes(ContainerRun& c, SteadyClock::time_point now, SteadyClock::time_point* next);
  bool RunProbe(const Probe& probe, const ContainerRun& c, std::string* message);
  void ResetSandbox(const std::string& why);

  CriRuntime::Impl& impl_;
  PodRun& pod_;
};

}  // namespace gorch::agent
