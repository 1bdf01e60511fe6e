#include "gorch/agent/hollow_runtime.h"

#include <charconv>
#include <chrono>

namespace gorch::agent {

std::string_view PodPhaseName(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending: return "Pending";
    case PodPhase::kRunning: return "Running";
    case PodPhase::kSucceeded: return "Succeeded";
    case PodPhase::kFailed: return "Failed";
  }
  return "Unknown";
}

bool PodState::Ready() const {
  if (phase != PodPhase::kRunning || containers.empty()) return false;
  for (const auto& c : containers)
    if (c.state != ContainerState::kRunning || !c.ready) return false;
  return true;
}

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::string* Annotation(const PodSpec& pod, std::string_view key) {
  auto it = pod.annotations.find(std::string(key));
  return it == pod.annotations.end() ? nullptr : &it->second;
}

}  // namespace

HollowRuntime::HollowRuntime(std::function<int64_t()> now_ms, int64_t default_completion_ms)
    : now_ms_(now_ms ? std::move(now_ms) : std::function<int64_t()>(&SystemNowMs)),
      default_completion_ms_(default_completion_ms) {}

Status HollowRuntime::RunPod(const PodSpec& spec) {
  if (spec.uid.empty()) return Status::InvalidArgument("pod " + spec.name + " has no uid");
  Pod pod;
  pod.spec = spec;
  if (const std::string* v = Annotation(spec, kHollowExitAfterAnnotation)) {
    int64_t ms = -1;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
    if (ec != std::errc() || end != v->data() + v->size() || ms < 0)
      return Status::InvalidArgument("pod " + spec.name + ": annotation " + std::string(kHollowExitAfterAnnotation) +
                                     " must be a number of milliseconds, not \"" + *v + "\"");
    pod.exit_after_ms = ms;
  }
  if (const std::string* v = Annotation(spec, kHollowFailAnnotation)) pod.fail = *v == "true";
  if (const std::string* v = Annotation(spec, kHollowNeverReadyAnnotation)) pod.never_ready = *v == "true";
  if (pod.fail && pod.exit_after_ms < 0) pod.exit_after_ms = 0;
  if (pod.exit_after_ms < 0 && spec.restart_policy != "Always") pod.exit_after_ms = default_completion_ms_;
  std::lock_guard<std::mutex> lock(mu_);
  if (pods_.count(spec.uid)) return Status::Ok();
  pod.started_at_ms = now_ms_();
  uint32_t n = ++next_ip_;
  // Hollow pods get made-up addresses in 198.19.0.0/16 (inside the test-bench
  // range 198.18.0.0/15, RUNTIME.md); nothing is ever sent to them.
  pod.ip = "198.19." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
  pods_.emplace(spec.uid, std::move(pod));
  return Status::Ok();
}

Status HollowRuntime::StopPod(const std::string& uid, std::chrono::milliseconds) {
  std::lock_guard<std::mutex> lock(mu_);
  pods_.erase(uid);
  return Status::Ok();
}

Result<PodState> HollowRuntime::PodStatus(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return Status::NotFound("hollow runtime runs no pod " + uid);
  const Pod& pod = it->second;
  const int64_t now = now_ms_();
  const int64_t elapsed = now - pod.started_at_ms;
  const bool restarts = pod.spec.restart_policy == "Always" || (pod.spec.restart_policy == "OnFailure" && pod.fail);
  PodState state;
  state.pod_ip = pod.ip;
  state.started_at_ms = pod.started_at_ms;
  bool exited = pod.exit_after_ms >= 0 && elapsed >= pod.exit_after_ms && !restarts;
  int32_t restart_count = 0;
  if (pod.exit_after_ms >= 0 && restarts) {
    // Restarted after every exit: one restart per period (at most once a second
    // counted, so an exit-at-once pod does not count without bound).
    int64_t period = std::max<int64_t>(pod.exit_after_ms, 1000);
    restart_count = static_cast<int32_t>(std::min<int64_t>(elapsed / period, 1'000'000));
  }
  for (const auto& c : pod.spec.containers) {
    ContainerStatus cs;
    cs.name = c.name;
    cs.image = c.image;
    cs.restart_count = restart_count;
    cs.started_at_ms = pod.started_at_ms;
    if (exited) {
      cs.state = ContainerState::kExited;
      cs.exit_code = pod.fail ? 1 : 0;
      cs.reason = pod.fail ? "Error" : "Completed";
      cs.finished_at_ms = pod.started_at_ms + pod.exit_after_ms;
    } else {
      cs.state = ContainerState::kRunning;
      cs.ready = !pod.never_ready && !(restarts && pod.fail);
    }
    state.containers.push_back(std::move(cs));
  }
  if (exited) {
    state.phase = pod.fail ? PodPhase::kFailed : PodPhase::kSucceeded;
    state.reason = pod.fail ? "Error" : "Completed";
  } else {
    state.phase = PodPhase::kRunning;
  }
  return state;
}

Result<std::vector<std::string>> HollowRuntime::ListPods() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_) out.push_back(uid);
  return out;
}

}  // namespace gorch::agent
