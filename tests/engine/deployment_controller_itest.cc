// The Deployment, ReplicaSet, scheduler, node lifecycle and GC controllers against a
// real LMDB store, with a manual clock and a simulated agent.
#include "controllers_harness.h"
#include "gorch/planner/rollout.h"

#include <thread>

namespace gorch::engine::testing {
namespace {

int CountBound(ControllersTest* t, const std::map<std::string, Json>& pods) {
  (void)t;
  int n = 0;
  for (auto& [k, v] : pods) n += v["object"]["spec"].contains("nodeName");
  return n;
}

TEST_F(ControllersTest, DeploymentCreatesReadyPodsAndScales) {
  AddNode("n1");
  AddNode("n2");
  Apply("Deployment", "default", "web", DeploymentObject(3, "web:1"));
  Settle();
  auto pods = List("/Pod/default/web-");
  ASSERT_EQ(pods.size(), 3u);
  EXPECT_EQ(CountBound(this, pods), 3);
  for (auto& [k, v] : pods) {
    EXPECT_EQ(v["object"]["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
    EXPECT_EQ(v["object"]["status"]["phase"], "Running");
  }
  Json st = Get("/gorch/status/Deployment/default/web");
  EXPECT_EQ(st["availableReplicas"], 3);
  EXPECT_EQ(st["updatedReplicas"], 3);
  EXPECT_EQ(st["revision"], 1);
  EXPECT_EQ(List("/ReplicaSet/default/web-").size(), 1u);

  Apply("Deployment", "default", "web", DeploymentObject(5, "web:1"));
  Settle();
  EXPECT_EQ(List("/Pod/default/web-").size(), 5u);
  EXPECT_EQ(Get("/gorch/status/Deployment/default/web")["availableReplicas"], 5);
  Apply("Deployment", "default", "web", DeploymentObject(2, "web:1"));
  Settle();
  EXPECT_EQ(List("/Pod/default/web-").size(), 2u);
}

TEST_F(ControllersTest, RollingUpdateFollowsThePlannersWaves) {
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(4, "web:1"));
  Settle();
  const std::set<std::string> old_pods = PodNames();
  ASSERT_EQ(old_pods.size(), 4u);

  planner::DeploymentRollout spec;
  spec.replicas = 4;
  spec.max_surge = planner::IntOrPercent::Int(1);
  spec.max_unavailable = planner::IntOrPercent::Int(1);
  std::vector<planner::PodStatus> now;
  for (const std::string& p : old_pods) now.push_back({p, false, true, true});
  auto waves = planner::PlanDeploymentRollout(spec, now);
  ASSERT_TRUE(waves.ok());
  std::vector<std::pair<size_t, size_t>> expected;
  for (const auto& w : *waves) {
    if (!w.added.empty() || !w.removed.empty()) expected.emplace_back(w.added.size(), w.removed.size());
  }

  Apply("Deployment", "default", "web", DeploymentObject(4, "web:2"));
  std::vector<std::pair<size_t, size_t>> observed;
  std::set<std::string> before = PodNames();
  std::vector<int64_t> waves_seen;  // status.rollout.wave after each step
  for (int round = 0; round < 20; ++round) {
    Step();
    Json mid = Get("/gorch/status/Deployment/default/web");
    if (mid.contains("rollout") && mid["rollout"]["templateHash"] == mid["currentTemplateHash"]) {
      if (waves_seen.empty() || waves_seen.back() != mid["rollout"]["wave"].get<int64_t>()) {
        waves_seen.push_back(mid["rollout"]["wave"].get<int64_t>());
        EXPECT_EQ(mid["rollout"]["waves"].get<size_t>(), expected.size()) << "as the plan shows them";
      }
    }
    std::set<std::string> after = PodNames();
    size_t added = 0, removed = 0;
    for (auto& p : after) added += !before.count(p);
    for (auto& p : before) removed += !after.count(p);
    if (added || removed) observed.emplace_back(added, removed);
    before = after;
    if (AgentPass() == 0 && added == 0 && removed == 0) break;
  }
  EXPECT_EQ(observed, expected);
  for (const std::string& p : PodNames()) EXPECT_EQ(old_pods.count(p), 0u) << p;
  Json st = Get("/gorch/status/Deployment/default/web");
  EXPECT_EQ(st["revision"], 2);
  EXPECT_EQ(st["updatedReplicas"], 4);
  EXPECT_EQ(st["availableReplicas"], 4);
  // The wave counter went 1, 2, … one per step taken, and ends at the count.
  std::vector<int64_t> one_by_one;
  for (size_t i = 1; i <= observed.size(); ++i) one_by_one.push_back(static_cast<int64_t>(i));
  EXPECT_EQ(waves_seen, one_by_one);
  EXPECT_EQ(st["rollout"]["wave"], observed.size());
  EXPECT_EQ(st["rollout"]["waves"], observed.size());
}

TEST_F(ControllersTest, StuckRolloutIsRolledBackAfterProgressDeadline) {
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(3, "web:1"));
  Settle();
  const std::string good_hash = Get("/gorch/status/Deployment/default/web")["currentTemplateHash"];
  fail_ = [](const Json& pod) { return pod["spec"]["containers"][0]["image"] == "web:bad"; };
  Apply("Deployment", "default", "web", DeploymentObject(3, "web:bad"));
  Settle();
  Json st = Get("/gorch/status/Deployment/default/web");
  EXPECT_EQ(st["revision"], 2);
  EXPECT_TRUE(Events("ProgressDeadlineExceeded").empty());
  Advance(601'000);
  Settle();
  ASSERT_EQ(Events("ProgressDeadlineExceeded").size(), 1u);
  ASSERT_EQ(Events("RolledBack").size(), 1u);
  Settle();
  st = Get("/gorch/status/Deployment/default/web");
  EXPECT_EQ(st["currentTemplateHash"], good_hash);
  EXPECT_EQ(st["revision"], 3);  // the good ReplicaSet comes back as the newest revision
  EXPECT_EQ(st["availableReplicas"], 3);
  EXPECT_EQ(st["rolledBack"]["toRevision"], 1);
  for (auto& [k, v] : List("/Pod/default/web-")) EXPECT_EQ(v["object"]["spec"]["containers"][0]["image"], "web:1");
  EXPECT_EQ(List("/Pod/default/web-").size(), 3u);
}

TEST_F(ControllersTest, AutoRollbackCanBeDisabled) {
  AddNode("n1");
  Json d = DeploymentObject(2, "web:1");
  d["metadata"]["annotations"]["gorch.dev/auto-rollback"] = "false";
  Apply("Deployment", "default", "web", d);
  Settle();
  fail_ = [](const Json& pod) { return pod["spec"]["containers"][0]["image"] == "web:bad"; };
  d["spec"]["template"] = PodTemplate("web", "web:bad");
  Apply("Deployment", "default", "web", d);
  Settle();
  Advance(601'000);
  Settle();
  EXPECT_EQ(Events("ProgressDeadlineExceeded").size(), 1u);
  EXPECT_TRUE(Events("RolledBack").empty());
  Json st = Get("/gorch/status/Deployment/default/web");
  EXPECT_EQ(st["revision"], 2);
  bool failed = false;
  for (auto& c : st["conditions"]) failed |= c["type"] == "Progressing" && c["status"] == "False";
  EXPECT_TRUE(failed);
}

TEST_F(ControllersTest, PauseHoldsTheRolloutAndResumeFinishesIt) {
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(2, "web:1"));
  Settle();
  const std::set<std::string> old_pods = PodNames();
  ASSERT_TRUE(RolloutSetPaused(*store_, "default", "web", true).ok());
  Apply("Deployment", "default", "web", DeploymentObject(2, "web:2"));
  Settle();
  EXPECT_EQ(PodNames(), old_pods);
  EXPECT_EQ(Get("/gorch/status/Deployment/default/web")["paused"], true);
  ASSERT_TRUE(RolloutSetPaused(*store_, "default", "web", false).ok());
  Settle();
  for (auto& [k, v] : List("/Pod/default/web-")) EXPECT_EQ(v["object"]["spec"]["containers"][0]["image"], "web:2");
  EXPECT_EQ(Get("/gorch/status/Deployment/default/web")["revision"], 2);
}

TEST_F(ControllersTest, UndoRollsBackToAnEarlierRevisionAndHistoryIsPruned) {
  AddNode("n1");
  Json d = DeploymentObject(2, "web:1");
  d["spec"]["revisionHistoryLimit"] = 1;
  for (const char* image : {"web:1", "web:2", "web:3"}) {
    d["spec"]["template"] = PodTemplate("web", image);
    Apply("Deployment", "default", "web", d);
    Settle();
  }
  auto history = RolloutHistory(*store_, "default", "web");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);  // current + 1 kept
  EXPECT_EQ((*history)[0].revision, 2);
  EXPECT_TRUE((*history)[1].current);
  auto to = RolloutUndo(*store_, "default", "web", std::nullopt);
  ASSERT_TRUE(to.ok()) << to.status().ToString();
  EXPECT_EQ(*to, 2);
  Settle();
  for (auto& [k, v] : List("/Pod/default/web-")) EXPECT_EQ(v["object"]["spec"]["containers"][0]["image"], "web:2");
  EXPECT_FALSE(RolloutUndo(*store_, "default", "web", 1).ok());
}

TEST_F(ControllersTest, UnschedulablePodGetsConditionAndIsPlacedWhenANodeJoins) {
  AddNode("small", "100m");
  Json d = DeploymentObject(2, "web:1");
  Apply("Deployment", "default", "web", d);
  Settle();
  auto pods = List("/Pod/default/web-");
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(CountBound(this, pods), 1);
  bool unschedulable = false;
  for (auto& [k, v] : pods) {
    for (auto& c : v["object"]["status"].value("conditions", Json::array())) {
      unschedulable |= c["type"] == "PodScheduled" && c["status"] == "False";
    }
  }
  EXPECT_TRUE(unschedulable);
  EXPECT_FALSE(Events("FailedScheduling").empty());
  AddNode("big", "8");
  Settle();
  EXPECT_EQ(CountBound(this, List("/Pod/default/web-")), 2);
}

TEST_F(ControllersTest, LostNodeIsNotReadyAndItsPodsMoveAfterGracePeriod) {
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(2, "web:1"));
  Settle();
  AddNode("n2");
  Settle();
  // Both pods are on n1 (scheduled before n2 joined). n1's lease expires.
  Remove("/gorch/heartbeat/n1");
  Settle();
  Json node = Get("/Node//n1");
  EXPECT_EQ(node["object"]["status"]["conditions"][0]["status"], "False");
  EXPECT_EQ(List("/Pod/default/web-").size(), 2u);  // still within the grace period
  Advance(41'000);
  Settle();
  auto pods = List("/Pod/default/web-");
  ASSERT_EQ(pods.size(), 2u);
  for (auto& [k, v] : pods) EXPECT_EQ(v["object"]["spec"]["nodeName"], "n2");
  EXPECT_EQ(Get("/gorch/status/Deployment/default/web")["availableReplicas"], 2);
}

TEST_F(ControllersTest, DeletingADeploymentCollectsItsReplicaSetsAndPods) {
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(3, "web:1"));
  Apply("Deployment", "default", "api", DeploymentObject(1, "api:1"));
  Settle();
  ASSERT_EQ(List("/Pod/default/").size(), 4u);
  Remove("/Deployment/default/web");
  Settle();
  EXPECT_TRUE(List("/ReplicaSet/default/web-").empty());
  EXPECT_TRUE(List("/Pod/default/web-").empty());
  EXPECT_TRUE(Get("/gorch/status/Deployment/default/web").is_null());
  EXPECT_EQ(List("/Pod/default/api-").size(), 1u);
}

}  // namespace
}  // namespace gorch::engine::testing

namespace gorch::engine::testing {
namespace {

// The background loop (what `gorch server` runs) converges on its own.
TEST_F(ControllersTest, BackgroundLoopCreatesAndBindsPods) {
  cp_.reset();
  ControlPlaneOptions o = options_;
  o.idle_wait = std::chrono::milliseconds(10);
  auto cp = ControlPlane::Start(*store_, o);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  AddNode("n1");
  Apply("Deployment", "default", "web", DeploymentObject(3, "web:1"));
  int bound = 0;
  for (int i = 0; i < 1000 && bound < 3; ++i) {  // bounded wait, no timing assertion
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    bound = CountBound(this, List("/Pod/default/web-"));
  }
  EXPECT_EQ(bound, 3);
  (*cp)->Stop();
  (*cp)->Stop();  // idempotent
}

}  // namespace
}  // namespace gorch::engine::testing
