// StatefulSet, DaemonSet, Job and CronJob controllers against a real LMDB store,
// with a manual clock and a simulated agent.
#include "controllers_harness.h"

namespace gorch::engine::testing {
namespace {

Json StatefulSetObject(int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"spec",
           {{"replicas", replicas},
            {"serviceName", "db"},
            {"template", PodTemplate("db", "db:1")},
            {"volumeClaimTemplates",
             Json::array({{{"metadata", {{"name", "data"}}},
                           {"spec", {{"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}})}}}};
}

TEST_F(ControllersTest, StatefulSetStartsInOrderAndKeepsClaims) {
  AddNode("n1");
  Apply("StatefulSet", "default", "db", StatefulSetObject(3));
  Step();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"db-0"}));  // one at a time
  AgentPass();
  Step();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"db-0", "db-1"}));
  Settle();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"db-0", "db-1", "db-2"}));
  EXPECT_EQ(List("/PersistentVolumeClaim/default/").size(), 3u);
  Json pod = Get("/Pod/default/db-1");
  EXPECT_EQ(pod["object"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-db-1");
  // Scale down: highest ordinal first, claims kept.
  Apply("StatefulSet", "default", "db", StatefulSetObject(1));
  Settle();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"db-0"}));
  EXPECT_EQ(List("/PersistentVolumeClaim/default/").size(), 3u);
  // A deleted pod comes back with the same name.
  Remove("/Pod/default/db-0");
  Settle();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"db-0"}));
}

TEST_F(ControllersTest, DaemonSetRunsOnEveryEligibleNodeAndOnANodeThatJoins) {
  AddNode("n1", "4", {{"role", "worker"}});
  AddNode("n2", "4", {{"role", "edge"}});
  Json ds = {{"apiVersion", "apps/v1"}, {"spec", {{"template", PodTemplate("agent", "agent:1")}}}};
  ds["spec"]["template"]["spec"]["nodeSelector"] = {{"role", "worker"}};
  Apply("DaemonSet", "default", "agent", ds);
  Settle();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"agent-n1"}));
  AddNode("n3", "4", {{"role", "worker"}});
  Settle();
  EXPECT_EQ(PodNames(), (std::set<std::string>{"agent-n1", "agent-n3"}));
  EXPECT_EQ(Get("/Pod/default/agent-n3")["object"]["spec"]["nodeName"], "n3");
  EXPECT_EQ(Get("/gorch/status/DaemonSet/default/agent")["numberReady"], 2);
}

TEST_F(ControllersTest, JobRunsToCompletions) {
  AddNode("n1");
  Json job = {{"apiVersion", "batch/v1"},
              {"spec", {{"completions", 3}, {"parallelism", 2}, {"template", PodTemplate("batch", "batch:1")}}}};
  Apply("Job", "default", "batch", job);
  Step();
  EXPECT_EQ(PodNames().size(), 2u);  // parallelism
  Settle();
  Json st = Get("/gorch/status/Job/default/batch");
  EXPECT_EQ(st["succeeded"], 3);
  EXPECT_EQ(st["conditions"][0]["type"], "Complete");
  EXPECT_EQ(PodNames().size(), 3u);
}

TEST_F(ControllersTest, JobFailsAfterBackoffLimit) {
  AddNode("n1");
  fail_ = [](const Json&) { return true; };
  Json job = {{"apiVersion", "batch/v1"},
              {"spec", {{"completions", 1}, {"backoffLimit", 2}, {"template", PodTemplate("batch", "batch:1")}}}};
  Apply("Job", "default", "batch", job);
  Settle();
  Json st = Get("/gorch/status/Job/default/batch");
  EXPECT_EQ(st["failed"], 3);  // backoffLimit 2: the third failure fails the Job
  EXPECT_EQ(st["conditions"][0]["type"], "Failed");
  EXPECT_EQ(Events("BackoffLimitExceeded").size(), 1u);
  EXPECT_EQ(PodNames().size(), 3u);
}

TEST_F(ControllersTest, CronJobRunsOnScheduleWithForbidAndHistoryLimit) {
  AddNode("n1");
  Json cj = {{"apiVersion", "batch/v1"},
             {"spec",
              {{"schedule", "*/5 * * * *"},
               {"concurrencyPolicy", "Forbid"},
               {"successfulJobsHistoryLimit", 2},
               {"jobTemplate", {{"spec", {{"template", PodTemplate("tick", "tick:1")}}}}}}}};
  Apply("CronJob", "default", "tick", cj);
  Step();
  EXPECT_TRUE(List("/Job/default/").empty());  // nothing due yet
  // kStartMillis is 22:13:20; the next run is 22:15.
  Advance(100'000);
  Step();
  ASSERT_EQ(List("/Job/default/").size(), 1u);
  EXPECT_EQ(List("/Job/default/").begin()->first, "/Job/default/tick-" + std::to_string((kStartMillis + 100'000) / 60'000));
  // The job has not run (no agent pass): Forbid skips the next slot.
  Advance(300'000);
  Step();
  EXPECT_EQ(List("/Job/default/").size(), 1u);
  EXPECT_EQ(Events("JobAlreadyActive").size(), 1u);
  for (int i = 0; i < 4; ++i) {
    Settle();
    Advance(300'000);
  }
  Settle();
  EXPECT_EQ(List("/Job/default/").size(), 2u);  // history limit 2, all finished
  Json st = Get("/gorch/status/CronJob/default/tick");
  EXPECT_TRUE(st["active"].empty());
}

}  // namespace
}  // namespace gorch::engine::testing
