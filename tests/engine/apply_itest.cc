// Plans executed into a real LMDB store: apply, read back, re-plan to no
// changes, stale plans refused, large applies in several transactions, prune.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "gorch/compiler/compile.h"
#include "gorch/engine/apply.h"
#include "gorch/store/lmdb_store.h"

namespace fs = std::filesystem;

namespace gorch::engine {
namespace {

const lang::SchemaSet& Schemas() {
  static auto* set = [] {
    lang::Diagnostics diags;
    return lang::LoadSchemas({}, diags).release();
  }();
  return *set;
}

compiler::DesiredState CompileFiles(std::map<std::string, std::string> files) {
  auto source = compiler::MakeMemorySource(std::move(files));
  auto r = compiler::CompileSource(*source, Schemas(), {});
  EXPECT_TRUE(r.ok()) << (r.diags.all().empty() ? "" : r.diags.all()[0].ToString());
  return std::move(r.state);
}

std::string ConfigMaps(int n, const std::string& level) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-" + std::to_string(i) +
           "\ndata:\n  LEVEL: " + level + "\n";
  return out;
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-apply-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::LmdbOptions options;
    options.dir = dir_.string();
    auto st = store::OpenLmdbStore(options);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  planner::Plan PlanFor(const compiler::DesiredState& desired) {
    auto live = ReadLiveState(*store_);
    EXPECT_TRUE(live.ok());
    auto plan = planner::MakePlan(desired, *live, Schemas(), {});
    EXPECT_TRUE(plan.ok());
    return *plan;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ApplyTest, ApplyThenReplanFindsNothingToDo) {
  auto desired = CompileFiles({{"a.yaml", ConfigMaps(3, "info")}});
  auto plan = PlanFor(desired);
  EXPECT_EQ(plan.summary.create, 3);
  auto applied = ApplyPlan(*store_, plan);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->created, 3);
  auto live = ReadLiveState(*store_);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->resources.size(), 3u);
  EXPECT_EQ(live->applied_hash, desired.hash);
  EXPECT_EQ(live->revision, applied->revision);
  EXPECT_FALSE(PlanFor(desired).HasChanges());
}

TEST_F(ApplyTest, AStalePlanIsRefusedAndChangesNothing) {
  auto plan = PlanFor(CompileFiles({{"a.yaml", ConfigMaps(2, "info")}}));
  // Another apply lands first: the live state the plan read is gone.
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(CompileFiles({{"b.yaml", ConfigMaps(1, "debug")}}))).ok());
  auto before = store_->Range(store::RangeRequest::Prefix("/"));
  auto applied = ApplyPlan(*store_, plan);
  ASSERT_FALSE(applied.ok());
  EXPECT_TRUE(applied.status().IsFailedPrecondition());
  EXPECT_NE(applied.status().message().find("stale plan"), std::string::npos) << applied.status().message();
  auto after = store_->Range(store::RangeRequest::Prefix("/"));
  EXPECT_EQ(after->revision, before->revision);
  EXPECT_EQ(after->kvs.size(), before->kvs.size());
}

TEST_F(ApplyTest, AHandEditedResourceMakesAPlanStale) {
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(CompileFiles({{"a.yaml", ConfigMaps(2, "info")}}))).ok());
  auto plan = PlanFor(CompileFiles({{"a.yaml", ConfigMaps(2, "debug")}}));
  ASSERT_TRUE(store_->Put("/ConfigMap/default/cfg-1", "{\"apiVersion\":\"v1\",\"managed\":true,\"object\":{}}").ok());
  auto applied = ApplyPlan(*store_, plan);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("ConfigMap/default/cfg-1 changed"), std::string::npos)
      << applied.status().message();
}

TEST_F(ApplyTest, WritesOfControllersAndAgentsDoNotMakeAPlanStale) {
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(CompileFiles({{"a.yaml", ConfigMaps(1, "info")}}))).ok());
  auto plan = PlanFor(CompileFiles({{"a.yaml", ConfigMaps(2, "debug")}}));
  // A running cluster writes all the time: heartbeats, status, controller-owned pods.
  ASSERT_TRUE(store_->Put("/gorch/heartbeat/n1", "{}").ok());
  ASSERT_TRUE(store_->Put("/gorch/status/Deployment/default/web", "{\"replicas\":1}").ok());
  ASSERT_TRUE(store_->Put("/Pod/default/web-1",
                          "{\"managed\":false,\"object\":{\"metadata\":{\"ownerReferences\":"
                          "[{\"kind\":\"ReplicaSet\",\"name\":\"web-1\"}]}}}").ok());
  auto applied = ApplyPlan(*store_, plan);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->updated, 1);
  EXPECT_EQ(applied->created, 1);
}

TEST_F(ApplyTest, ThePlanFileRoundTripAppliesTheSame) {
  auto desired = CompileFiles({{"a.yaml", ConfigMaps(2, "info")}});
  auto plan = PlanFor(desired);
  auto reread = planner::Plan::FromJson(plan.ToJson(), "plan.json");
  ASSERT_TRUE(reread.ok());
  ASSERT_TRUE(ApplyPlan(*store_, *reread).ok());
  EXPECT_FALSE(PlanFor(desired).HasChanges());
}

TEST_F(ApplyTest, LargeAppliesSpanSeveralTransactionsAndReleaseTheLock) {
  auto desired = CompileFiles({{"a.yaml", ConfigMaps(300, "info")}});
  auto applied = ApplyPlan(*store_, PlanFor(desired));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->created, 300);
  auto lock = store_->Get(kApplyLockKey);
  ASSERT_TRUE(lock.ok());
  EXPECT_FALSE(lock->has_value());
  auto live = ReadLiveState(*store_);
  EXPECT_EQ(live->resources.size(), 300u);
  EXPECT_FALSE(PlanFor(desired).HasChanges());
}

TEST_F(ApplyTest, UpdatesAndPrunesFollowGit) {
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(CompileFiles({{"a.yaml", ConfigMaps(3, "info")}}))).ok());
  auto next = CompileFiles({{"a.yaml", ConfigMaps(2, "debug")}});
  auto plan = PlanFor(next);
  EXPECT_EQ(plan.summary.update, 2);
  EXPECT_EQ(plan.summary.remove, 1);
  auto applied = ApplyPlan(*store_, plan);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->deleted, 1);
  auto live = ReadLiveState(*store_);
  ASSERT_EQ(live->resources.size(), 2u);
  EXPECT_EQ(live->resources[0].object.FindPath("data.LEVEL")->as_string(), "debug");
  EXPECT_FALSE(PlanFor(next).HasChanges());
}

TEST_F(ApplyTest, CreationTimestampIsSetOnCreateAndKeptByUpdates) {
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(CompileFiles({{"a.yaml", ConfigMaps(1, "info")}}))).ok());
  auto live = ReadLiveState(*store_);
  ASSERT_TRUE(live.ok());
  const lang::Value* created = live->resources[0].object.FindPath("metadata.creationTimestamp");
  ASSERT_NE(created, nullptr);
  ASSERT_TRUE(created->is_string());
  EXPECT_EQ(created->as_string().size(), 20u) << created->as_string();  // 2026-11-23T17:30:00Z
  EXPECT_EQ(created->as_string().back(), 'Z');
  const std::string first = created->as_string();
  // A stamp from another time, then an update: the update keeps it.
  auto kv = store_->Get("/ConfigMap/default/cfg-0");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  std::string value = (*kv)->value;
  value.replace(value.find(first), first.size(), "2020-01-01T00:00:00Z");
  ASSERT_TRUE(store_->Put("/ConfigMap/default/cfg-0", value).ok());
  auto next = CompileFiles({{"a.yaml", ConfigMaps(1, "debug")}});
  ASSERT_TRUE(ApplyPlan(*store_, PlanFor(next)).ok());
  live = ReadLiveState(*store_);
  EXPECT_EQ(live->resources[0].object.FindPath("metadata.creationTimestamp")->as_string(), "2020-01-01T00:00:00Z");
  EXPECT_EQ(live->resources[0].object.FindPath("data.LEVEL")->as_string(), "debug");
  EXPECT_FALSE(PlanFor(next).HasChanges());  // the stamp is not a change
}

}  // namespace
}  // namespace gorch::engine
