// The compiler end to end: examples/shop's graph, deterministic JSON, and a git
// repository made in a temp dir, compiled at an older commit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gorch/compiler/compile.h"

namespace fs = std::filesystem;

namespace gorch::compiler {
namespace {

CompileResult CompilePath(const std::string& path, unsigned threads = 0) {
  CompileOptions options;
  options.path = path;
  options.load.threads = threads;
  return Compile(options);
}

size_t IndexOf(const DesiredState& s, const ResourceId& id) {
  for (size_t i = 0; i < s.order.size(); ++i)
    if (s.resources[s.order[i]].id == id) return i;
  return SIZE_MAX;
}

bool HasEdge(const DesiredState& s, const ResourceId& from, const ResourceId& to, EdgeKind kind) {
  for (const Edge& e : s.edges)
    if (s.resources[e.from].id == from && s.resources[e.to].id == to && e.kind == kind) return true;
  return false;
}

TEST(CompileShop, GraphHasEdgesAndDependencyOrder) {
  auto r = CompilePath(std::string(GORCH_SOURCE_DIR) + "/examples/shop");
  ASSERT_TRUE(r.ok()) << r.diags.all()[0].ToString();
  const DesiredState& s = r.state;
  ResourceId api{"Deployment", "shop", "api"}, cfg{"ConfigMap", "shop", "api-config"},
      secret{"Secret", "shop", "api-secret"}, pvc{"PersistentVolumeClaim", "shop", "uploads"},
      ns{"Namespace", "", "shop"}, web_svc{"Service", "shop", "web"}, web{"Deployment", "shop", "web"},
      ingress{"Ingress", "shop", "shop"}, hpa{"HorizontalPodAutoscaler", "shop", "api"},
      redis{"StatefulSet", "shop", "redis"}, redis_svc{"Service", "shop", "redis"};
  EXPECT_TRUE(HasEdge(s, api, cfg, EdgeKind::kUses));
  EXPECT_TRUE(HasEdge(s, api, secret, EdgeKind::kUses));
  EXPECT_TRUE(HasEdge(s, api, pvc, EdgeKind::kUses));
  EXPECT_TRUE(HasEdge(s, api, ns, EdgeKind::kInNamespace));
  EXPECT_TRUE(HasEdge(s, web_svc, web, EdgeKind::kSelects));
  EXPECT_TRUE(HasEdge(s, ingress, web_svc, EdgeKind::kBackend));
  EXPECT_TRUE(HasEdge(s, hpa, api, EdgeKind::kTarget));
  EXPECT_TRUE(HasEdge(s, redis, redis_svc, EdgeKind::kGoverns));
  // Dependencies first.
  EXPECT_EQ(IndexOf(s, ns), 0u);
  EXPECT_LT(IndexOf(s, cfg), IndexOf(s, api));
  EXPECT_LT(IndexOf(s, pvc), IndexOf(s, api));
  EXPECT_LT(IndexOf(s, web_svc), IndexOf(s, ingress));
  EXPECT_LT(IndexOf(s, api), IndexOf(s, hpa));
  EXPECT_LT(IndexOf(s, redis_svc), IndexOf(s, redis));
  // Defaults are applied and recorded as such.
  const Resource* web_res = s.Find(web);
  ASSERT_NE(web_res, nullptr);
  const lang::Value* rhl = web_res->object.FindPath("spec.revisionHistoryLimit");
  ASSERT_NE(rhl, nullptr);
  EXPECT_EQ(rhl->as_int(), 10);
  EXPECT_TRUE(rhl->defaulted());
  EXPECT_FALSE(web_res->object.FindPath("spec.replicas")->defaulted());
  EXPECT_EQ(web_res->content_hash.size(), 64u);
}

TEST(CompileShop, JsonIsDeterministicAcrossRunsAndThreadCounts) {
  std::string path = std::string(GORCH_SOURCE_DIR) + "/examples/shop";
  auto a = CompilePath(path, 1), b = CompilePath(path, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.state.ToJson(), b.state.ToJson());
  EXPECT_EQ(a.state.hash, b.state.hash);
  EXPECT_NE(a.state.ToJson().find("\"defaulted\":["), std::string::npos);
}

class GitRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-compile-git-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "deploy");
    Git("init -q -b main");
    Git("config user.email t@example.test");
    Git("config user.name tester");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Git(const std::string& args) {
    std::string cmd = "git -C '" + dir_.string() + "' " + args + " > /dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  void Commit(const std::string& msg) {
    Git("add -A");
    Git("commit -q -m '" + msg + "'");
  }
  std::string Rev(const std::string& rev) {
    std::string out_file = (dir_ / ".rev").string();
    std::system(("git -C '" + dir_.string() + "' rev-parse " + rev + " > '" + out_file + "'").c_str());
    std::ifstream in(out_file);
    std::string sha;
    in >> sha;
    return sha;
  }

  static std::string ConfigMap(const std::string& level) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LEVEL: " + level + "\n";
  }

  fs::path dir_;
};

TEST_F(GitRepo, CompilesAnOlderCommitWithoutCheckout) {
  Write("deploy/app.yaml", ConfigMap("debug"));
  Write("README.md", "not a manifest\n");
  Commit("first");
  Write("deploy/app.yaml", ConfigMap("info"));
  Commit("second");
  Write("deploy/app.yaml", "kind: [broken\n");
  Commit("third, broken");
  std::string first = Rev("HEAD~2");

  CompileOptions options;
  options.git_repo = dir_.string();
  options.git_rev = "HEAD~2";
  options.git_subdir = "deploy";
  auto old = Compile(options);
  ASSERT_TRUE(old.ok()) << old.diags.all()[0].ToString();
  EXPECT_EQ(old.state.commit, first);
  const Resource* cm = old.state.Find({"ConfigMap", "default", "app"});
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->object.FindPath("data.LEVEL")->as_string(), "debug");

  options.git_rev = "HEAD~1";
  auto second = Compile(options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.state.Find({"ConfigMap", "default", "app"})->object.FindPath("data.LEVEL")->as_string(), "info");
  EXPECT_NE(second.state.hash, old.state.hash);

  options.git_rev = "HEAD";  // the broken commit: an error with its position, nothing compiled
  auto head = Compile(options);
  EXPECT_FALSE(head.ok());
  ASSERT_FALSE(head.diags.all().empty());
  EXPECT_NE(std::string(head.diags.all()[0].pos.file).find("app.yaml"), std::string::npos);
  EXPECT_TRUE(head.diags.all()[0].pos.known());

  options.git_rev = "no-such-branch";
  auto missing = Compile(options);
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace gorch::compiler
