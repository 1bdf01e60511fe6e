// The diff and the Plan: field-level changes matched by schema keys, no false
// drift, prune vs orphan, round trips, golden output for examples/shop.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gorch/compiler/compile.h"
#include "gorch/planner/plan.h"
#include "gorch/planner/scheduler_input.h"

namespace gorch::planner {
namespace {

const lang::SchemaSet& Schemas() {
  static auto* set = [] {
    lang::Diagnostics diags;
    auto s = lang::LoadSchemas({}, diags);
    EXPECT_TRUE(s) << (diags.all().empty() ? "" : diags.all()[0].ToString());
    return s.release();
  }();
  return *set;
}

compiler::DesiredState CompileText(const std::string& yaml) {
  auto source = compiler::MakeMemorySource({{"app.yaml", yaml}});
  compiler::CompileOptions options;
  auto r = compiler::CompileSource(*source, Schemas(), options);
  EXPECT_TRUE(r.ok()) << (r.diags.all().empty() ? "" : r.diags.all()[0].ToString());
  return std::move(r.state);
}

compiler::DesiredState CompileShop() {
  compiler::CompileOptions options;
  options.path = std::string(GORCH_SOURCE_DIR) + "/examples/shop";
  auto source = compiler::OpenDirectorySource(options.path);
  EXPECT_TRUE(source.ok());
  auto r = compiler::CompileSource(**source, Schemas(), options);
  EXPECT_TRUE(r.ok());
  return std::move(r.state);
}

// What an apply of `plan` does to the live state, in memory.
LiveState Applied(const compiler::DesiredState& desired, const LiveState& before, int64_t revision) {
  LiveState live = before;
  live.revision = revision;
  live.resources.clear();
  for (const auto& r : desired.resources)
    live.resources.push_back({r.id, r.api_version, r.object, r.content_hash, true, revision});
  for (const auto& l : before.resources)
    if (!desired.Find(l.id) && !l.managed) live.resources.push_back(l);
  live.Sort();
  return live;
}

std::string Deployment(const std::string& image, int replicas, const std::string& extra_env = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: " +
         std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
         "    spec:\n      containers:\n        - name: sidecar\n          image: localhost/busybox:1\n"
         "        - name: web\n          image: " + image + "\n          env:\n            - {name: A, value: a}\n" +
         extra_env;
}

const PlanStep* StepFor(const Plan& plan, const std::string& kind, const std::string& name) {
  for (const auto& s : plan.steps)
    if (s.change.id.kind == kind && s.change.id.name == name) return &s;
  return nullptr;
}

TEST(Diff, EverythingIsCreatedAgainstAnEmptyLiveState) {
  auto desired = CompileShop();
  auto plan = MakePlan(desired, LiveState{}, Schemas(), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->summary.create, static_cast<int>(desired.resources.size()));
  EXPECT_TRUE(plan->HasChanges());
  // Apply order is the graph's order: dependencies first.
  ASSERT_EQ(plan->steps.size(), desired.order.size());
  for (size_t i = 0; i < desired.order.size(); ++i)
    EXPECT_EQ(plan->steps[i].change.id, desired.resources[desired.order[i]].id);
}

TEST(Diff, ApplyThenReplanHasNoChanges) {
  auto desired = CompileShop();
  LiveState live = Applied(desired, {}, 7);
  // Drop the hashes so the diff really walks every field.
  for (auto& r : live.resources) r.applied_hash.clear();
  auto plan = MakePlan(desired, live, Schemas(), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->HasChanges()) << RenderText(*plan, false);
  EXPECT_EQ(plan->summary.no_op, static_cast<int>(desired.resources.size()));
  EXPECT_EQ(plan->base_revision, 7);
}

TEST(Diff, KeyedListsAreMatchedByNameNotPosition) {
  auto before = CompileText(Deployment("localhost/busybox:1", 2));
  auto after = CompileText(Deployment("localhost/busybox:2", 3, "            - {name: B, value: b}\n"));
  auto plan = MakePlan(after, Applied(before, {}, 3), Schemas(), {});
  ASSERT_TRUE(plan.ok());
  const PlanStep* step = StepFor(*plan, "Deployment", "web");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->change.action, Action::kUpdate);
  std::vector<std::string> paths;
  for (const auto& f : step->change.fields) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"spec.replicas", "spec.template.spec.containers[web].image",
                                             "spec.template.spec.containers[web].env[B]"}));
  EXPECT_EQ(step->change.fields[1].before->as_string(), "localhost/busybox:1");
  EXPECT_EQ(step->change.fields[1].after->as_string(), "localhost/busybox:2");
  EXPECT_FALSE(step->change.fields[2].before.has_value());
  // A template change is a rollout: the old pods are removed wave by wave.
  ASSERT_FALSE(step->waves.empty());
  size_t removed = 0;
  for (const auto& w : step->waves) removed += w.removed.size();
  EXPECT_EQ(removed, 2u);
}

TEST(Diff, ReorderedContainersAreNotAChange) {
  auto before = CompileText(Deployment("localhost/busybox:1", 2));
  std::string swapped = Deployment("localhost/busybox:1", 2);
  // Move the sidecar after web.
  std::string sidecar = "        - name: sidecar\n          image: localhost/busybox:1\n";
  swapped.erase(swapped.find(sidecar), sidecar.size());
  swapped += sidecar;
  auto after = CompileText(swapped);
  auto plan = MakePlan(after, Applied(before, {}, 3), Schemas(), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->HasChanges()) << RenderText(*plan, false);
}

TEST(Diff, DefaultsTheLiveObjectLacksAndControlPlaneFieldsAreNotDrift) {
  auto desired = CompileText(Deployment("localhost/busybox:1", 2));
  LiveState live = Applied(desired, {}, 3);
  lang::Value& obj = live.resources[0].object;
  obj.Erase("status");
  obj.Set("status", lang::Value::MakeMap({{"readyReplicas", lang::Value::Int(2)}}));
  obj.Find("metadata")->Set("uid", lang::Value::String("1234"));
  obj.Find("spec")->Erase("revisionHistoryLimit");  // a default an older gorch did not fill
  live.resources[0].applied_hash.clear();
  auto plan = MakePlan(desired, live, Schemas(), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->HasChanges()) << RenderText(*plan, false);
}

TEST(Diff, PruneDeletesOnlyWhatGorchCreated) {
  auto desired = CompileText(Deployment("localhost/busybox:1", 1));
  LiveState live = Applied(desired, {}, 5);
  LiveResource ours{{"ConfigMap", "default", "old"}, "v1", lang::Value::MakeMap(), "x", true, 4};
  LiveResource theirs{{"Secret", "default", "manual"}, "v1", lang::Value::MakeMap(), "", false, 4};
  live.resources.push_back(ours);
  live.resources.push_back(theirs);
  live.Sort();
  auto plan = MakePlan(desired, live, Schemas(), {});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(StepFor(*plan, "ConfigMap", "old")->change.action, Action::kDelete);
  EXPECT_EQ(StepFor(*plan, "Secret", "manual")->change.action, Action::kOrphan);
  EXPECT_EQ(plan->summary.remove, 1);
  EXPECT_EQ(plan->summary.orphan, 1);
  PlanOptions keep;
  keep.diff.prune = false;
  auto no_prune = MakePlan(desired, live, Schemas(), keep);
  EXPECT_EQ(StepFor(*no_prune, "ConfigMap", "old")->change.action, Action::kOrphan);
  EXPECT_FALSE(no_prune->HasChanges());
}

TEST(Diff, APlanPrunesOnlyWhatItsOwnerApplied) {
  auto desired = CompileText(Deployment("localhost/busybox:1", 1));
  LiveState live = Applied(desired, {}, 5);
  for (auto& r : live.resources) r.owner = "git:a";
  LiveResource mine{{"ConfigMap", "default", "old-a"}, "v1", lang::Value::MakeMap(), "x", true, 4, "git:a"};
  LiveResource other{{"ConfigMap", "default", "of-b"}, "v1", lang::Value::MakeMap(), "y", true, 4, "git:b"};
  LiveResource by_hand{{"ConfigMap", "default", "by-hand"}, "v1", lang::Value::MakeMap(), "z", true, 4, ""};
  live.resources.push_back(mine);
  live.resources.push_back(other);
  live.resources.push_back(by_hand);
  live.Sort();
  PlanOptions as_a;
  as_a.diff.owner = "git:a";
  auto plan = MakePlan(desired, live, Schemas(), as_a);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->owner, "git:a");
  EXPECT_EQ(StepFor(*plan, "ConfigMap", "old-a")->change.action, Action::kDelete);
  EXPECT_EQ(StepFor(*plan, "ConfigMap", "of-b"), nullptr);     // another source's: out of scope
  EXPECT_EQ(StepFor(*plan, "ConfigMap", "by-hand"), nullptr);  // a hand apply's: out of scope
  EXPECT_EQ(plan->summary.remove, 1);
  EXPECT_EQ(plan->summary.orphan, 0);
  EXPECT_EQ(plan->summary.update, 0);
  // The same desired state planned by hand takes the Deployment over.
  auto by_cli = MakePlan(desired, live, Schemas(), {});
  ASSERT_TRUE(by_cli.ok());
  const PlanStep* web = StepFor(*by_cli, "Deployment", "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->change.action, Action::kUpdate);
  ASSERT_EQ(web->change.fields.size(), 1u);
  EXPECT_EQ(web->change.fields[0].path, "(owner)");
  EXPECT_EQ(StepFor(*by_cli, "ConfigMap", "by-hand")->change.action, Action::kDelete);
  EXPECT_EQ(StepFor(*by_cli, "ConfigMap", "old-a"), nullptr);
  // The owner survives the plan's JSON and the store's value.
  auto back = Plan::FromJson(plan->ToJson(), "plan.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->owner, "git:a");
  auto from_store = LiveState::FromStore(6, {{"/ConfigMap/default/of-b", other.ToStoreValue()}});
  ASSERT_TRUE(from_store.ok());
  ASSERT_EQ(from_store->resources.size(), 1u);
  EXPECT_EQ(from_store->resources[0].owner, "git:b");
}

TEST(Diff, CompareAppliedFindsDriftBehindAnUnchangedAppliedHash) {
  auto desired = CompileText(Deployment("localhost/busybox:1", 2));
  LiveState live = Applied(desired, {}, 5);
  // Edited after the apply, the appliedHash left as it was.
  live.resources[0].object.Find("spec")->Set("replicas", lang::Value::Int(5));
  auto fast = MakePlan(desired, live, Schemas(), {});
  ASSERT_TRUE(fast.ok());
  EXPECT_FALSE(fast->HasChanges());
  PlanOptions full;
  full.diff.compare_applied = true;
  auto plan = MakePlan(desired, live, Schemas(), full);
  ASSERT_TRUE(plan.ok());
  const PlanStep* web = StepFor(*plan, "Deployment", "web");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->change.fields.size(), 1u);
  EXPECT_EQ(web->change.fields[0].path, "spec.replicas");
}

TEST(Diff, TheDefaultNamespaceComesFromTheCompileOptions) {
  auto source = compiler::MakeMemorySource(
      {{"a.yaml", Deployment("localhost/busybox:1", 1) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, "
                                                        "namespace: fixed}\ndata: {a: b}\n"}});
  compiler::CompileOptions options;
  options.default_namespace = "team-a";
  auto r = compiler::CompileSource(*source, Schemas(), options);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r.state.Find({"Deployment", "team-a", "web"}), nullptr);
  ASSERT_NE(r.state.Find({"ConfigMap", "fixed", "c"}), nullptr);
  const lang::Value* ns = r.state.Find({"Deployment", "team-a", "web"})->object.FindPath("metadata.namespace");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->as_string(), "team-a");
}

TEST(Plan, JsonRoundTripsExactly) {
  auto desired = CompileShop();
  auto cluster = ParseDescribedCluster("2x4cpu16Gi,1x8cpu32Gi:disk=ssd");
  ASSERT_TRUE(cluster.ok());
  PlanOptions options;
  options.cluster = &*cluster;
  LiveState live = Applied(desired, {}, 9);
  live.resources.push_back({{"ConfigMap", "shop", "legacy"}, "v1", lang::Value::MakeMap(), "h", true, 2});
  live.Sort();
  auto desired2 = CompileText(Deployment("localhost/busybox:2", 2));
  for (auto* d : {&desired, &desired2}) {
    auto plan = MakePlan(*d, d == &desired ? LiveState{} : live, Schemas(), options);
    ASSERT_TRUE(plan.ok());
    std::string json = plan->ToJson();
    auto back = Plan::FromJson(json, "plan.json");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->ToJson(), json);
    EXPECT_EQ(RenderText(*back, false), RenderText(*plan, false));
  }
}

TEST(Plan, RejectsUnknownFormatVersionAndGarbage) {
  EXPECT_FALSE(Plan::FromJson("{\"formatVersion\":99,\"steps\":[]}", "p.json").ok());
  EXPECT_FALSE(Plan::FromJson("not json", "p.json").ok());
  EXPECT_FALSE(Plan::FromJson("{\"steps\":[]}", "p.json").ok());
  auto bad = Plan::FromJson("{\"formatVersion\":1,\"steps\":[{\"action\":\"explode\"}]}", "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("explode"), std::string::npos);
}

TEST(Plan, UnschedulablePodsAreReportedWithReasons) {
  auto desired = CompileText(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n    - name: c\n"
      "      image: localhost/busybox:1\n      resources:\n        requests: {cpu: '64'}\n");
  auto cluster = ParseDescribedCluster("3x4cpu16Gi");
  PlanOptions options;
  options.cluster = &*cluster;
  auto plan = MakePlan(desired, {}, Schemas(), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->summary.pods_unschedulable, 1);
  const PlanStep* step = StepFor(*plan, "Pod", "big");
  ASSERT_EQ(step->placements.size(), 1u);
  EXPECT_FALSE(step->placements[0].scheduled());
  EXPECT_NE(step->placements[0].reason.find("0/3 nodes"), std::string::npos) << step->placements[0].reason;
  EXPECT_NE(step->placements[0].reason.find("cpu"), std::string::npos);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = std::string(GORCH_TESTDATA) + "/" + name;
  if (std::getenv("GORCH_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(ReadAll(path), actual) << "golden " << path << " (GORCH_UPDATE_GOLDEN=1 rewrites it)";
}

TEST(Plan, GoldenOutputForTheShop) {
  auto desired = CompileShop();
  auto cluster = ParseDescribedCluster("3x4cpu16Gi,1x8cpu32Gi:disk=ssd");
  PlanOptions options;
  options.cluster = &*cluster;
  auto plan = MakePlan(desired, {}, Schemas(), options);
  ASSERT_TRUE(plan.ok());
  // Paths in the output are relative to the repository.
  auto relative = [](std::string text) {
    std::string root = std::string(GORCH_SOURCE_DIR) + "/";
    for (size_t at; (at = text.find(root)) != std::string::npos;) text.erase(at, root.size());
    return text;
  };
  ExpectGolden("shop.plan.txt", relative(RenderText(*plan, false)));
  ExpectGolden("shop.plan.md", relative(RenderMarkdown(*plan)));

  // An update: the web image changes and api scales; then the golden of that plan.
  LiveState live = Applied(desired, {}, 12);
  std::string dir = std::string(GORCH_SOURCE_DIR) + "/examples/shop/";
  std::map<std::string, std::string> files;
  for (const char* f : {"00-namespace.yaml", "api.yaml", "log-agent.yaml", "migrate-job.yaml", "redis.yaml", "web.yaml"})
    files[f] = ReadAll(dir + f);
  files["web.yaml"].replace(files["web.yaml"].find("localhost/busybox:1"), 19, "localhost/busybox:2");
  files["api.yaml"].replace(files["api.yaml"].find("replicas: 2"), 11, "replicas: 4");
  files.erase("migrate-job.yaml");
  auto source = compiler::MakeMemorySource(files, "examples/shop/");
  compiler::CompileOptions copts;
  auto next = compiler::CompileSource(*source, Schemas(), copts);
  ASSERT_TRUE(next.ok());
  auto update = MakePlan(next.state, live, Schemas(), options);
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->summary.update, 2);
  EXPECT_EQ(update->summary.remove, 1);
  ExpectGolden("shop-update.plan.txt", relative(RenderText(*update, false)));
}

}  // namespace
}  // namespace gorch::planner
