// The hollow runtime: pods are accepted and reported Running and Ready at once,
// without containers (as Kubernetes' kubemark does), so that the control plane
// can be tested and measured at scale. Annotations on a pod make it behave:
//   gorch.dev/hollow-exit-after-ms: N   every container exits N ms after start
//                                       (exit code 0: the pod Succeeds, unless its
//                                       restartPolicy is Always: then it restarts)
//   gorch.dev/hollow-fail: "true"       containers exit with code 1 (the pod Fails,
//                                       unless restartPolicy is Always); without an
//                                       exit-after, they exit at once
//   gorch.dev/hollow-never-ready: "true" running but never Ready (a rollout that
//                                       never becomes ready)
// A run-to-completion pod (restartPolicy Never or OnFailure: a Job's) without an
// exit-after annotation exits with code 0 after default_completion_ms, so Jobs
// complete; a pod with restartPolicy Always runs until stopped.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "gorch/agent/runtime.h"

namespace gorch::agent {

inline constexpr std::string_view kHollowExitAfterAnnotation = "gorch.dev/hollow-exit-after-ms";
inline constexpr std::string_view kHollowFailAnnotation = "gorch.dev/hollow-fail";
inline constexpr std::string_view kHollowNeverReadyAnnotation = "gorch.dev/hollow-never-ready";

class HollowRuntime final : public ContainerRuntime {
 public:
  // now_ms: Unix milliseconds (null: the system clock), injected so tests move time.
  explicit HollowRuntime(std::function<int64_t()> now_ms = nullptr, int64_t default_completion_ms = 1000);

  std::string Name() const override { return "hollow"; }
  Status RunPod(const PodSpec& pod) override;
  Status StopPod(const std::string& uid, std::chrono::milliseconds grace) override;
  Result<PodState> PodStatus(const std::string& uid) override;
  Result<std::vector<std::string>> ListPods() override;

 private:
  struct Pod {
    PodSpec spec;
    int64_t started_at_ms = 0;
    int64_t exit_after_ms = -1;  // -1: runs forever
    bool fail = false;
    bool never_ready = false;
    std::string ip;
  };

  std::function<int64_t()> now_ms_;
  const int64_t default_completion_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Pod> pods_;
  uint32_t next_ip_ = 0;
};

}  // namespace gorch::agent
