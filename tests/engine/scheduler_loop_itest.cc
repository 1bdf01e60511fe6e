// The scheduler loop keeps its planner::Scheduler between passes while only its own
// binds and pods' status reports changed; these tests hold it to the same answers
// as a scheduler built afresh: a full node stays full across status reports, and a
// pod deleted from it frees its room for a pending pod.
#include "controllers_harness.h"

namespace gorch::engine::testing {
namespace {

Json BarePod(const std::string& cpu) {
  return {{"apiVersion", "v1"},
          {"metadata", {{"namespace", "default"}, {"labels", {{"app", "extra"}}}}},
          {"spec",
           {{"containers",
             Json::array({{{"name", "c"}, {"image", "img:1"}, {"resources", {{"requests", {{"cpu", cpu}}}}}}})}}}};
}

std::string NodeOf(const Json& envelope) { return envelope["object"]["spec"].value("nodeName", ""); }

TEST_F(ControllersTest, AFullNodeStaysFullAcrossStatusReportsAndADeletedPodFreesRoom) {
  AddNode("n1", "300m");  // room for three pods of 100m
  Apply("Deployment", "default", "web", DeploymentObject(3, "img:1"));
  Settle();
  int bound = 0;
  for (auto& [key, pod] : List("/Pod/default/")) bound += NodeOf(pod) == "n1";
  ASSERT_EQ(bound, 3);  // and every one reported Running by the simulated agent

  // A fourth pod does not fit: the pods' status reports did not make the scheduler
  // forget them (nor its own binds).
  Apply("Pod", "default", "extra", BarePod("100m"));
  Settle();
  Json extra = Get("/Pod/default/extra");
  EXPECT_EQ(NodeOf(extra), "");
  bool unschedulable = false;
  for (const Json& c : extra["object"]["status"]["conditions"])
    unschedulable |= c["type"] == "PodScheduled" && c["status"] == "False";
  EXPECT_TRUE(unschedulable) << extra.dump();

  // A web pod gone (scaled down): its room goes to the pending pod.
  Apply("Deployment", "default", "web", DeploymentObject(2, "img:1"));
  Settle();
  EXPECT_EQ(NodeOf(Get("/Pod/default/extra")), "n1");
  bound = 0;
  for (auto& [key, pod] : List("/Pod/default/")) bound += NodeOf(pod) == "n1";
  EXPECT_EQ(bound, 3);
}

TEST_F(ControllersTest, ABoundPodWhoseRequestChangesIsCountedAtItsNewSize) {
  AddNode("n1", "300m");
  Apply("Pod", "default", "big", BarePod("100m"));
  Settle();
  ASSERT_EQ(NodeOf(Get("/Pod/default/big")), "n1");
  // The bound pod's spec grows (as a re-apply would write it, bound): 250m of 300m.
  Json big = Get("/Pod/default/big");
  big["object"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "250m";
  ASSERT_TRUE(store_->Put("/Pod/default/big", big.dump()).ok());
  Apply("Pod", "default", "small", BarePod("100m"));
  Settle();
  EXPECT_EQ(NodeOf(Get("/Pod/default/small")), "") << "placed as if big still asked 100m";
}

}  // namespace
}  // namespace gorch::engine::testing
