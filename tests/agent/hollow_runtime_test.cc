// The hollow runtime with a hand-moved clock: pods run at once, exit, fail or
// stay unready as their annotations say.
#include "gorch/agent/hollow_runtime.h"

#include <gtest/gtest.h>

namespace gorch::agent {
namespace {

PodSpec Pod(const std::string& uid, std::map<std::string, std::string> annotations = {},
            const std::string& restart_policy = "Always") {
  PodSpec p;
  p.uid = uid;
  p.namespace_ = "default";
  p.name = uid;
  p.annotations = std::move(annotations);
  p.restart_policy = restart_policy;
  p.containers.push_back({"main", "busybox", {}, {}, {}});
  return p;
}

class HollowTest : public ::testing::Test {
 protected:
  int64_t now_ = 1'700'000'000'000;
  HollowRuntime runtime_{[this] { return now_; }, 1000};
};

TEST_F(HollowTest, RunningAndReadyAtOnceUntilStopped) {
  ASSERT_TRUE(runtime_.RunPod(Pod("a")).ok());
  ASSERT_TRUE(runtime_.RunPod(Pod("a")).ok());  // idempotent
  now_ += 3'600'000;
  auto st = runtime_.PodStatus("a");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->phase, PodPhase::kRunning);
  EXPECT_TRUE(st->Ready());
  EXPECT_FALSE(st->pod_ip.empty());
  EXPECT_EQ(runtime_.ListPods()->size(), 1u);
  ASSERT_TRUE(runtime_.StopPod("a", std::chrono::milliseconds(0)).ok());
  EXPECT_TRUE(runtime_.PodStatus("a").status().IsNotFound());
  EXPECT_TRUE(runtime_.StopPod("a", std::chrono::milliseconds(0)).ok());  // already gone
}

TEST_F(HollowTest, ExitAfterSucceedsAndFailFails) {
  ASSERT_TRUE(runtime_.RunPod(Pod("ok", {{"gorch.dev/hollow-exit-after-ms", "500"}}, "Never")).ok());
  ASSERT_TRUE(runtime_.RunPod(Pod("bad", {{"gorch.dev/hollow-fail", "true"}}, "Never")).ok());
  EXPECT_EQ(runtime_.PodStatus("ok")->phase, PodPhase::kRunning);
  now_ += 500;
  auto ok = runtime_.PodStatus("ok");
  EXPECT_EQ(ok->phase, PodPhase::kSucceeded);
  EXPECT_EQ(ok->containers[0].state, ContainerState::kExited);
  EXPECT_EQ(ok->containers[0].exit_code, 0);
  auto bad = runtime_.PodStatus("bad");
  EXPECT_EQ(bad->phase, PodPhase::kFailed);
  EXPECT_EQ(bad->containers[0].exit_code, 1);
}

TEST_F(HollowTest, RunToCompletionPodsFinishByDefault) {
  ASSERT_TRUE(runtime_.RunPod(Pod("job", {}, "OnFailure")).ok());
  EXPECT_EQ(runtime_.PodStatus("job")->phase, PodPhase::kRunning);
  now_ += 1000;
  EXPECT_EQ(runtime_.PodStatus("job")->phase, PodPhase::kSucceeded);
}

TEST_F(HollowTest, AlwaysRestartsInsteadOfFinishing) {
  ASSERT_TRUE(runtime_.RunPod(Pod("svc", {{"gorch.dev/hollow-exit-after-ms", "1000"}})).ok());
  now_ += 3500;
  auto st = runtime_.PodStatus("svc");
  EXPECT_EQ(st->phase, PodPhase::kRunning);
  EXPECT_EQ(st->containers[0].restart_count, 3);
}

TEST_F(HollowTest, NeverReadyAndBadAnnotations) {
  ASSERT_TRUE(runtime_.RunPod(Pod("slow", {{"gorch.dev/hollow-never-ready", "true"}})).ok());
  auto st = runtime_.PodStatus("slow");
  EXPECT_EQ(st->phase, PodPhase::kRunning);
  EXPECT_FALSE(st->Ready());
  auto bad = runtime_.RunPod(Pod("x", {{"gorch.dev/hollow-exit-after-ms", "soon"}}));
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_TRUE(runtime_.RunPod(Pod("")).IsInvalidArgument());
}

}  // namespace
}  // namespace gorch::agent
