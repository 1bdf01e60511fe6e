// `gorch rollout status|history|undo|pause|resume` end to end: a real `gorch server`
// process, hollow agents as `gorch agent` processes, examples/shop applied through
// the API, and the rollout verbs run as the CLI. (The process helpers repeat
// server_itest.cc's few lines: that file keeps them in its own anonymous namespace.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gorch/compiler/compile.h"
#include "gorch/engine/client.h"
#include "gorch/planner/plan.h"
#include "gorch_process.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace gorch::engine {
namespace {

using testing::FreePort;
using testing::Spawn;
using testing::Stop;

class RolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-rollout-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy(fs::path(GORCH_SOURCE_DIR) / "examples/shop", dir_ / "shop", fs::copy_options::recursive);
    address_ = "127.0.0.1:" + std::to_string(FreePort());
    server_ = Spawn({"server", "--data", (dir_ / "data").string(), "--listen", address_}, dir_ / "server.log");
    for (int i = 1; i <= 2; ++i)
      agents_.push_back(
          Spawn({"agent", "--runtime", "hollow", "--server", address_, "--node", "n" + std::to_string(i)},
                dir_ / ("agent-" + std::to_string(i) + ".log")));
    ClientOptions options;
    options.address = address_;
    options.timeout = std::chrono::seconds(5);
    auto c = GorchClient::Connect(options);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
  }

  void TearDown() override {
    for (pid_t pid : agents_) Stop(pid);
    Stop(server_);
    if (HasFailure()) {
      std::ifstream in(dir_ / "server.log");
      std::cerr << "---- server log ----\n" << in.rdbuf() << "\n";
    }
    fs::remove_all(dir_);
  }

  // Runs `gorch args... --server ADDR` to completion; its exit code, output in *out.
  int Cli(std::vector<std::string> args, std::string* out) {
    args.push_back("--server");
    args.push_back(address_);
    fs::path log = dir_ / "cli.log";
    fs::remove(log);
    int status = 0;
    ::waitpid(Spawn(args, log), &status, 0);
    std::ifstream in(log);
    out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Rewrites web's image in the copy of the shop and applies it through the API.
  void ApplyShopWithWebImage(const std::string& image) {
    fs::path web = dir_ / "shop/web.yaml";
    std::ifstream in(web);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const std::string marker = "- name: web\n          image: ";
    size_t at = text.find(marker);
    ASSERT_NE(at, std::string::npos);
    size_t start = at + marker.size(), end = text.find('\n', start);
    text.replace(start, end - start, image);
    std::ofstream(web) << text;

    compiler::CompileOptions options;
    options.path = (dir_ / "shop").string();
    auto compiled = compiler::Compile(options);
    ASSERT_TRUE(compiled.ok());
    lang::Diagnostics diags;
    auto schemas = lang::LoadSchemas({}, diags);
    auto live = client_->ReadLiveState();
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    planner::PlanOptions plan_options;
    if (!live->nodes.nodes.empty()) plan_options.cluster = &live->nodes;
    auto plan = planner::MakePlan(compiled.state, live->live, *schemas, plan_options);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    auto applied = client_->ApplyPlan(plan->ToJson(), plan->base_revision);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  // The images of web's pods now.
  std::set<std::string> WebImages() {
    v1::ListRequest req;
    req.set_kind("Pod");
    req.set_namespace_("shop");
    req.set_label_selector("app=web");
    auto r = client_->List(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::set<std::string> images;
    if (!r.ok()) return images;
    for (const auto& o : r->objects())
      images.insert(Json::parse(o.json())["object"]["spec"]["containers"][0]["image"].get<std::string>());
    return images;
  }

  std::vector<v1::RolloutRevision> History() {
    v1::RolloutTarget t;
    t.set_kind("Deployment");
    t.set_namespace_("shop");
    t.set_name("web");
    auto h = client_->RolloutHistory(t);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) return {};
    return {h->revisions().begin(), h->revisions().end()};
  }

  static std::string Current(const std::vector<v1::RolloutRevision>& history) {
    for (const auto& r : history)
      if (r.current()) return r.replica_set();
    return "";
  }

  fs::path dir_;
  std::string address_;
  pid_t server_ = -1;
  std::vector<pid_t> agents_;
  std::unique_ptr<GorchClient> client_;
};

TEST_F(RolloutTest, StatusHistoryUndoPauseResume) {
  const std::vector<std::string> web = {"deployment/web", "-n", "shop"};
  auto verb = [&](std::vector<std::string> v, std::vector<std::string> extra = {}) {
    v.insert(v.end(), web.begin(), web.end());
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  std::string out;

  ApplyShopWithWebImage("localhost/busybox:1");
  ASSERT_EQ(Cli(verb({"rollout", "status"}, {"--timeout", "60"}), &out), 0) << out;
  EXPECT_NE(out.find("deployment \"web\" successfully rolled out"), std::string::npos) << out;
  const std::string first_rs = Current(History());
  ASSERT_FALSE(first_rs.empty());

  // A new image: status waits for the new revision, history lists both.
  ApplyShopWithWebImage("localhost/busybox:2");
  ASSERT_EQ(Cli(verb({"rollout", "status"}, {"--timeout", "60"}), &out), 0) << out;
  EXPECT_NE(out.find("successfully rolled out"), std::string::npos) << out;
  EXPECT_EQ(WebImages(), std::set<std::string>{"localhost/busybox:2"});
  auto history = History();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].replica_set(), first_rs);
  EXPECT_TRUE(history[1].current());
  const std::string second_rs = history[1].replica_set();
  ASSERT_EQ(Cli(verb({"rollout", "history"}), &out), 0) << out;
  EXPECT_NE(out.find(first_rs), std::string::npos) << out;
  EXPECT_NE(out.find(second_rs), std::string::npos) << out;

  // Undo goes back to the first template.
  ASSERT_EQ(Cli(verb({"rollout", "undo"}), &out), 0) << out;
  EXPECT_NE(out.find("rolled back to revision"), std::string::npos) << out;
  ASSERT_EQ(Cli(verb({"rollout", "status"}, {"--timeout", "60"}), &out), 0) << out;
  EXPECT_EQ(Current(History()), first_rs);
  EXPECT_EQ(WebImages(), std::set<std::string>{"localhost/busybox:1"});

  // Paused: a new image makes no new revision and moves no pod, until resumed.
  ASSERT_EQ(Cli(verb({"rollout", "pause"}), &out), 0) << out;
  ApplyShopWithWebImage("localhost/busybox:3");
  EXPECT_EQ(Cli(verb({"rollout", "status"}, {"--timeout", "3"}), &out), 1) << out;
  EXPECT_NE(out.find("timed out"), std::string::npos) << out;
  EXPECT_EQ(History().size(), 2u);
  EXPECT_EQ(WebImages(), std::set<std::string>{"localhost/busybox:1"});
  ASSERT_EQ(Cli(verb({"rollout", "resume"}), &out), 0) << out;
  ASSERT_EQ(Cli(verb({"rollout", "status"}, {"--timeout", "60"}), &out), 0) << out;
  EXPECT_EQ(History().size(), 3u);
  EXPECT_EQ(WebImages(), std::set<std::string>{"localhost/busybox:3"});
}

TEST_F(RolloutTest, VerbsReportMissingDeploymentsAndOtherKinds) {
  std::string out;
  EXPECT_EQ(Cli({"rollout", "history", "deployment/nope", "-n", "shop"}, &out), 1);
  EXPECT_NE(out.find("not found"), std::string::npos) << out;
  EXPECT_EQ(Cli({"rollout", "undo", "statefulset/redis", "-n", "shop"}, &out), 1);
  EXPECT_NE(out.find("only Deployments"), std::string::npos) << out;
  v1::RolloutTarget t;
  t.set_kind("StatefulSet");
  t.set_namespace_("shop");
  t.set_name("redis");
  auto r = client_->RolloutUndo(t, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
}

}  // namespace
}  // namespace gorch::engine
