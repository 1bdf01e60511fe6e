// StatefulSet, DaemonSet and Job rollouts: waves and single steps.
#include <gtest/gtest.h>

#include "gorch/planner/rollout.h"
#include "rollout_test_util.h"

namespace gorch::planner {
namespace {

using testing::PodState;

std::vector<PodStatus> Ordinals(const std::string& name, int n, bool updated) {
  std::vector<PodStatus> out;
  for (int i = 0; i < n; ++i) {
    PodStatus p = PodState(name + "-" + std::to_string(i), updated, true, true);
    p.ordinal = i;
    out.push_back(p);
  }
  return out;
}

StatefulSetRollout Sts(int32_t replicas) {
  StatefulSetRollout spec;
  spec.name = "db";
  spec.replicas = replicas;
  return spec;
}

// Names added and removed per wave: "+db-0 | -db-2 | ...".
std::string Names(const std::vector<RolloutWave>& waves) {
  std::string out;
  for (const RolloutWave& w : waves) {
    if (!out.empty()) out += " | ";
    for (const std::string& n : w.removed) out += "-" + n + " ";
    for (const std::string& n : w.added) out += "+" + n + " ";
    out.pop_back();
  }
  return out;
}

std::string StsWaves(const StatefulSetRollout& spec, const std::vector<PodStatus>& pods) {
  auto waves = PlanStatefulSetRollout(spec, pods);
  return waves.ok() ? Names(*waves) : waves.status().ToString();
}

TEST(StatefulSetRolloutTest, OrderedScaleUpOneAtATime) {
  EXPECT_EQ(StsWaves(Sts(3), {}), "+db-0 | +db-1 | +db-2");
  StatefulSetRollout parallel = Sts(3);
  parallel.pod_management = PodManagementPolicy::kParallel;
  EXPECT_EQ(StsWaves(parallel, {}), "+db-0 +db-1 +db-2");
}

TEST(StatefulSetRolloutTest, ScaleDownInReverseOrdinalOrder) {
  EXPECT_EQ(StsWaves(Sts(2), Ordinals("db", 4, true)), "-db-3 | -db-2");
  StatefulSetRollout parallel = Sts(1);
  parallel.pod_management = PodManagementPolicy::kParallel;
  EXPECT_EQ(StsWaves(parallel, Ordinals("db", 3, true)), "-db-2 -db-1");
}

TEST(StatefulSetRolloutTest, RollingUpdateFromHighestOrdinal) {
  auto waves = PlanStatefulSetRollout(Sts(3), Ordinals("db", 3, false));
  ASSERT_TRUE(waves.ok());
  EXPECT_EQ(Names(*waves), "-db-2 | +db-2 | -db-1 | +db-1 | -db-0 | +db-0");
  EXPECT_EQ(DescribeWaves(*waves).substr(0, 41), "+0 -1 terminated(1)\n+1 -0 ready(1)\n+0 -1 ");
}

TEST(StatefulSetRolloutTest, PartitionKeepsLowerOrdinalsOnOldRevision) {
  StatefulSetRollout spec = Sts(4);
  spec.partition = 2;
  EXPECT_EQ(StsWaves(spec, Ordinals("db", 4, false)), "-db-3 | +db-3 | -db-2 | +db-2");
  // A missing ordinal below the partition is recreated with the old revision.
  std::vector<PodStatus> pods = Ordinals("db", 4, false);
  pods.erase(pods.begin() + 1);
  auto step = NextStatefulSetStep(spec, pods);
  ASSERT_TRUE(step.ok());
  ASSERT_EQ(step->create.size(), 1u);
  EXPECT_EQ(step->create[0], (PodToCreate{"db-1", false, 1, ""}));
  pods = Ordinals("db", 4, false);
  pods.erase(pods.begin() + 3);
  step = NextStatefulSetStep(spec, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->create[0], (PodToCreate{"db-3", true, 3, ""}));
}

TEST(StatefulSetStepTest, OrderedReadyWaitsForUnreadyPods) {
  std::vector<PodStatus> pods = Ordinals("db", 2, true);
  pods[1].ready = pods[1].available = false;
  auto step = NextStatefulSetStep(Sts(3), pods);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->empty());
  EXPECT_FALSE(step->complete);
  StatefulSetRollout parallel = Sts(3);
  parallel.pod_management = PodManagementPolicy::kParallel;
  step = NextStatefulSetStep(parallel, pods);
  ASSERT_TRUE(step.ok());
  ASSERT_EQ(step->create.size(), 1u);
  EXPECT_EQ(step->create[0].name, "db-2");
}

TEST(StatefulSetStepTest, OnDeleteOnlyReplacesDeletedPods) {
  StatefulSetRollout spec = Sts(2);
  spec.update_strategy = StatefulSetUpdateStrategy::kOnDelete;
  auto step = NextStatefulSetStep(spec, Ordinals("db", 2, false));
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->empty());
  EXPECT_TRUE(step->complete);
  std::vector<PodStatus> pods = Ordinals("db", 2, false);
  pods.pop_back();
  step = NextStatefulSetStep(spec, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->create[0], (PodToCreate{"db-1", true, 1, ""}));
}

TEST(StatefulSetStepTest, RejectsPodsWithoutOrdinalOrDuplicates) {
  std::vector<PodStatus> pods = Ordinals("db", 2, true);
  pods[1].ordinal = 0;
  EXPECT_TRUE(NextStatefulSetStep(Sts(2), pods).status().IsInvalidArgument());
  pods[1].ordinal = -1;
  EXPECT_TRUE(NextStatefulSetStep(Sts(2), pods).status().IsInvalidArgument());
}

std::vector<PodStatus> DaemonPods(const std::vector<std::string>& nodes, bool updated) {
  std::vector<PodStatus> out;
  for (const std::string& n : nodes) {
    PodStatus p = PodState("agent-old-" + n, updated, true, true);
    p.node = n;
    out.push_back(p);
  }
  return out;
}

DaemonSetRollout Ds(IntOrPercent unavailable, IntOrPercent surge) {
  DaemonSetRollout spec;
  spec.name = "agent";
  spec.max_unavailable = unavailable;
  spec.max_surge = surge;
  return spec;
}

std::string DsWaves(const DaemonSetRollout& spec, const std::vector<std::string>& nodes,
                    const std::vector<PodStatus>& pods) {
  auto waves = PlanDaemonSetRollout(spec, nodes, pods);
  return waves.ok() ? Names(*waves) : waves.status().ToString();
}

TEST(DaemonSetRolloutTest, OnePodPerEligibleNode) {
  EXPECT_EQ(DsWaves(Ds(IntOrPercent::Int(1), IntOrPercent::Int(0)), {"n3", "n1", "n2"}, {}),
            "+agent-n1 +agent-n2 +agent-n3");
}

TEST(DaemonSetRolloutTest, MaxUnavailableOneNodeAtATimeInNameOrder) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  EXPECT_EQ(DsWaves(Ds(IntOrPercent::Int(1), IntOrPercent::Int(0)), nodes, DaemonPods(nodes, false)),
            "-agent-old-n1 | +agent-n1 | -agent-old-n2 | +agent-n2 | -agent-old-n3 | +agent-n3");
}

TEST(DaemonSetRolloutTest, PercentageRoundsUp) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  // 50% of 3 nodes: 2.
  EXPECT_EQ(DsWaves(Ds(IntOrPercent::Percent(50), IntOrPercent::Int(0)), nodes, DaemonPods(nodes, false)),
            "-agent-old-n1 -agent-old-n2 | +agent-n1 +agent-n2 | -agent-old-n3 | +agent-n3");
}

TEST(DaemonSetRolloutTest, SurgeStartsNewPodBesideOldOne) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  EXPECT_EQ(DsWaves(Ds(IntOrPercent::Int(0), IntOrPercent::Int(1)), nodes, DaemonPods(nodes, false)),
            "+agent-n1 | -agent-old-n1 +agent-n2 | -agent-old-n2 +agent-n3 | -agent-old-n3");
}

TEST(DaemonSetStepTest, FollowsEligibleNodes) {
  std::vector<PodStatus> pods = DaemonPods({"gone", "n1"}, true);
  auto step = NextDaemonSetStep(Ds(IntOrPercent::Int(1), IntOrPercent::Int(0)), {"n1", "new"}, pods);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->remove, (std::vector<std::string>{"agent-old-gone"}));
  ASSERT_EQ(step->create.size(), 1u);
  EXPECT_EQ(step->create[0], (PodToCreate{"agent-new", true, -1, "new"}));
}

TEST(DaemonSetStepTest, UnavailableOldPodsAreReplacedAtOnce) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  std::vector<PodStatus> pods = DaemonPods(nodes, false);
  pods[1].ready = pods[1].available = false;
  pods[2].ready = pods[2].available = false;
  auto step = NextDaemonSetStep(Ds(IntOrPercent::Int(1), IntOrPercent::Int(0)), nodes, pods);
  ASSERT_TRUE(step.ok());
  // Both broken pods go; n1's healthy one also (no node is unavailable yet).
  EXPECT_EQ(step->remove, (std::vector<std::string>{"agent-old-n2", "agent-old-n3", "agent-old-n1"}));
}

TEST(DaemonSetStepTest, BothZeroIsInvalidAndCompleteWhenAllUpdated) {
  EXPECT_TRUE(NextDaemonSetStep(Ds(IntOrPercent::Int(0), IntOrPercent::Percent(0)), {"n1"}, {})
                  .status()
                  .IsInvalidArgument());
  auto step = NextDaemonSetStep(Ds(IntOrPercent::Int(1), IntOrPercent::Int(0)), {"n1"}, DaemonPods({"n1"}, true));
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->complete);
}

std::string JobWaves(JobRollout spec, const std::vector<PodStatus>& pods = {}) {
  auto waves = PlanJobRollout(spec, pods);
  return waves.ok() ? DescribeWaves(*waves) : waves.status().ToString();
}

TEST(JobRolloutTest, ParallelismAndCompletions) {
  EXPECT_EQ(JobWaves({"migrate", 2, 5}), "+2 -0 completed(2)\n+2 -0 completed(2)\n+1 -0 completed(1)\n");
  EXPECT_EQ(JobWaves({"queue", 3, -1}), "+3 -0 completed(3)\n");
  EXPECT_EQ(JobWaves({"one", 1, 1}), "+1 -0 completed(1)\n");
  EXPECT_EQ(JobWaves({"paused", 0, 3}), "");
}

TEST(JobStepTest, KeepsRemainingCompletionsRunning) {
  std::vector<PodStatus> pods = {PodState("j-1"), PodState("j-2"), PodState("j-3")};
  pods[0].succeeded = true;
  pods[1].failed = true;
  auto step = NextJobStep({"j", 2, 3}, pods);
  ASSERT_TRUE(step.ok());
  // 1 succeeded, 1 running, the failed one is replaced: 2 should run.
  ASSERT_EQ(step->create.size(), 1u);
  EXPECT_EQ(step->create[0].name, "j-4");

  auto shrink = NextJobStep({"j", 1, 10}, {PodState("j-1"), PodState("j-2"), PodState("j-3", false, true, true)});
  ASSERT_TRUE(shrink.ok());
  EXPECT_EQ(shrink->remove, (std::vector<std::string>{"j-2", "j-1"}));

  std::vector<PodStatus> done = {PodState("j-1"), PodState("j-2")};
  done[0].succeeded = done[1].succeeded = true;
  auto complete = NextJobStep({"j", 2, 2}, done);
  ASSERT_TRUE(complete.ok());
  EXPECT_TRUE(complete->complete);
}

}  // namespace
}  // namespace gorch::planner
