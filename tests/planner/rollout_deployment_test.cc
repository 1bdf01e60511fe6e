// Deployment rollouts: fencepost rounding, the waves of RollingUpdate and Recreate,
// and single steps from mid-rollout states.
#include <gtest/gtest.h>

#include "gorch/planner/rollout.h"
#include "rollout_test_util.h"

namespace gorch::planner {
namespace {

using testing::PodState;

// n pods named "<prefix>-<i>" (i from 0), of the given revision, ready and available.
std::vector<PodStatus> Pods(const std::string& prefix, int n, bool updated) {
  std::vector<PodStatus> out;
  for (int i = 0; i < n; ++i) out.push_back(PodState(prefix + "-" + std::to_string(i), updated, true, true));
  return out;
}

DeploymentRollout Rolling(int32_t replicas, IntOrPercent surge, IntOrPercent unavailable) {
  DeploymentRollout spec;
  spec.replicas = replicas;
  spec.max_surge = surge;
  spec.max_unavailable = unavailable;
  spec.new_pod_prefix = "web-v2";
  return spec;
}

std::string Waves(const DeploymentRollout& spec, const std::vector<PodStatus>& pods) {
  auto waves = PlanDeploymentRollout(spec, pods);
  if (!waves.ok()) return waves.status().ToString();
  return DescribeWaves(*waves);
}

TEST(IntOrPercentTest, ParseAndScale) {
  EXPECT_EQ(IntOrPercent::Parse("25%").value(), IntOrPercent::Percent(25));
  EXPECT_EQ(IntOrPercent::Parse("3").value(), IntOrPercent::Int(3));
  EXPECT_TRUE(IntOrPercent::Parse("-1").status().IsInvalidArgument());
  EXPECT_TRUE(IntOrPercent::Parse("%").status().IsInvalidArgument());
  EXPECT_TRUE(IntOrPercent::Parse("ten").status().IsInvalidArgument());
  EXPECT_TRUE(IntOrPercent::Parse("").status().IsInvalidArgument());
  EXPECT_EQ(IntOrPercent::Percent(25).Scaled(10, true), 3);
  EXPECT_EQ(IntOrPercent::Percent(25).Scaled(10, false), 2);
  EXPECT_EQ(IntOrPercent::Percent(20).Scaled(10, true), 2);
  EXPECT_EQ(IntOrPercent::Int(7).Scaled(10, false), 7);
  EXPECT_EQ(IntOrPercent::Percent(25).ToString(), "25%");
}

TEST(FencepostsTest, SurgeRoundsUpUnavailableRoundsDown) {
  auto f = [](int32_t replicas, IntOrPercent s, IntOrPercent u) { return ResolveFenceposts(Rolling(replicas, s, u)); };
  EXPECT_EQ(f(10, IntOrPercent::Percent(25), IntOrPercent::Percent(25)).value(), (Fenceposts{3, 2}));
  EXPECT_EQ(f(3, IntOrPercent::Percent(25), IntOrPercent::Percent(25)).value(), (Fenceposts{1, 0}));
  EXPECT_EQ(f(1, IntOrPercent::Percent(10), IntOrPercent::Percent(10)).value(), (Fenceposts{1, 0}));
  // Both resolve to 0 by rounding: maxUnavailable becomes 1.
  EXPECT_EQ(f(1, IntOrPercent::Percent(0), IntOrPercent::Percent(10)).value(), (Fenceposts{0, 1}));
  // maxUnavailable is capped at replicas.
  EXPECT_EQ(f(3, IntOrPercent::Int(0), IntOrPercent::Int(5)).value(), (Fenceposts{0, 3}));
}

TEST(FencepostsTest, InvalidCombinations) {
  auto f = [](IntOrPercent s, IntOrPercent u) { return ResolveFenceposts(Rolling(4, s, u)).status(); };
  EXPECT_TRUE(f(IntOrPercent::Int(0), IntOrPercent::Int(0)).IsInvalidArgument());
  EXPECT_TRUE(f(IntOrPercent::Percent(0), IntOrPercent::Int(0)).IsInvalidArgument());
  EXPECT_TRUE(f(IntOrPercent::Int(1), IntOrPercent::Percent(120)).IsInvalidArgument());
  EXPECT_TRUE(f(IntOrPercent::Int(-1), IntOrPercent::Int(1)).IsInvalidArgument());
  EXPECT_TRUE(NextDeploymentStep(Rolling(4, IntOrPercent::Int(0), IntOrPercent::Int(0)), {})
                  .status()
                  .IsInvalidArgument());
}

TEST(DeploymentRolloutTest, TenReplicasQuarterSurgeQuarterUnavailable) {
  DeploymentRollout spec = Rolling(10, IntOrPercent::Percent(25), IntOrPercent::Percent(25));
  auto waves = PlanDeploymentRollout(spec, Pods("web-v1", 10, false));
  ASSERT_TRUE(waves.ok()) << waves.status().ToString();
  EXPECT_EQ(DescribeWaves(*waves),
            "+3 -2 terminated(2) ready(3)\n"
            "+2 -3 terminated(3) ready(2)\n"
            "+3 -2 terminated(2) ready(3)\n"
            "+2 -3 terminated(3) ready(2)\n");
  const RolloutWave& first = (*waves)[0];
  EXPECT_EQ(first.added, (std::vector<std::string>{"web-v2-1", "web-v2-2", "web-v2-3"}));
  EXPECT_EQ(first.removed, (std::vector<std::string>{"web-v1-9", "web-v1-8"}));  // newest first
  EXPECT_EQ((*waves)[3].added, (std::vector<std::string>{"web-v2-9", "web-v2-10"}));
}

TEST(DeploymentRolloutTest, MinReadySecondsIsWhatWavesWaitFor) {
  DeploymentRollout spec = Rolling(2, IntOrPercent::Int(1), IntOrPercent::Int(0));
  spec.min_ready_seconds = 10;
  EXPECT_EQ(Waves(spec, Pods("web-v1", 2, false)),
            "+1 -0 ready(1)+10s\n"
            "+0 -1 terminated(1)\n"
            "+1 -0 ready(1)+10s\n"
            "+0 -1 terminated(1)\n");
}

TEST(DeploymentRolloutTest, NoSurgeReplacesOneAtATime) {
  EXPECT_EQ(Waves(Rolling(3, IntOrPercent::Int(0), IntOrPercent::Int(1)), Pods("web-v1", 3, false)),
            "+0 -1 terminated(1)\n+1 -0 ready(1)\n"
            "+0 -1 terminated(1)\n+1 -0 ready(1)\n"
            "+0 -1 terminated(1)\n+1 -0 ready(1)\n");
}

TEST(DeploymentRolloutTest, RecreateDeletesAllThenCreatesAll) {
  DeploymentRollout spec = Rolling(3, IntOrPercent::Percent(25), IntOrPercent::Percent(25));
  spec.strategy = DeploymentStrategy::kRecreate;
  EXPECT_EQ(Waves(spec, Pods("web-v1", 3, false)), "+0 -3 terminated(3)\n+3 -0 ready(3)\n");
  // While old pods are still terminating, Recreate waits.
  std::vector<PodStatus> pods = Pods("web-v1", 1, false);
  pods[0].terminating = true;
  auto step = NextDeploymentStep(spec, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->empty());
  EXPECT_FALSE(step->complete);
}

TEST(DeploymentStepTest, MidRolloutCountsUnavailableNewPodsAgainstTheBudget) {
  DeploymentRollout spec = Rolling(10, IntOrPercent::Percent(25), IntOrPercent::Percent(25));
  std::vector<PodStatus> pods = Pods("web-v1", 8, false);
  for (PodStatus p : Pods("web-v2", 3, true)) pods.push_back(p);
  pods.back().ready = pods.back().available = false;
  auto step = NextDeploymentStep(spec, pods);
  ASSERT_TRUE(step.ok());
  // 11 pods of 13 allowed: 2 more new; 10 available, 8 must stay: 2 old go.
  ASSERT_EQ(step->create.size(), 2u);
  EXPECT_EQ(step->create[0].name, "web-v2-3");  // web-v2-0..2 exist
  EXPECT_TRUE(step->create[0].updated);
  EXPECT_EQ(step->remove, (std::vector<std::string>{"web-v1-7", "web-v1-6"}));
}

TEST(DeploymentStepTest, UnhealthyOldPodsGoFirst) {
  DeploymentRollout spec = Rolling(4, IntOrPercent::Int(1), IntOrPercent::Int(1));
  std::vector<PodStatus> pods = Pods("web-v1", 4, false);
  pods[1].ready = pods[1].available = false;
  auto step = NextDeploymentStep(spec, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->create.size(), 1u);
  EXPECT_EQ(step->remove, (std::vector<std::string>{"web-v1-1"}));
}

TEST(DeploymentStepTest, ScalingWithoutTemplateChange) {
  DeploymentRollout spec = Rolling(5, IntOrPercent::Percent(25), IntOrPercent::Percent(25));
  auto up = NextDeploymentStep(spec, Pods("web-v2", 3, true));
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->create.size(), 2u);
  EXPECT_TRUE(up->remove.empty());

  spec.replicas = 2;
  std::vector<PodStatus> pods = Pods("web-v2", 3, true);
  pods[0].ready = pods[0].available = false;
  auto down = NextDeploymentStep(spec, pods);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->remove, (std::vector<std::string>{"web-v2-0"}));  // the unready one

  spec.replicas = 3;
  auto done = NextDeploymentStep(spec, Pods("web-v2", 3, true));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->empty());
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(Waves(spec, Pods("web-v2", 3, true)), "");
}

TEST(DeploymentStepTest, WaitsForNewPodsToBecomeAvailable) {
  DeploymentRollout spec = Rolling(2, IntOrPercent::Int(0), IntOrPercent::Int(1));
  std::vector<PodStatus> pods = {PodState("web-v1-0", false, true, true), PodState("web-v2-1", true, true, false)};
  auto step = NextDeploymentStep(spec, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->empty());
  EXPECT_FALSE(step->complete);
  // The plan shows that wait first, then the last replacement.
  EXPECT_EQ(Waves(spec, pods), "+0 -0 ready(1)\n+0 -1 terminated(1)\n+1 -0 ready(1)\n");
}

}  // namespace
}  // namespace gorch::planner
