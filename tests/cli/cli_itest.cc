// The CLI contract (DESIGN.md): exit codes 0 / 1 / 2, errors on stderr as
// file:line:col: error[CODE]: message, nothing applied from a run with an error.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct GorchRun {
  int code = -1;
  std::string out, err;
};

// Runs gorch with args (a shell-quoted string) from the repository root.
GorchRun Gorch(const std::string& args) {
  static int n = 0;
  fs::path tmp = fs::temp_directory_path() / ("gorch-cli-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::string cmd = "cd '" GORCH_SOURCE_DIR "' && '" GORCH_BIN "' " + args + " > '" + tmp.string() + ".out' 2> '" +
                    tmp.string() + ".err'";
  int status = std::system(cmd.c_str());
  GorchRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    fs::remove(p);
    return ss.str();
  };
  r.out = slurp(tmp.string() + ".out");
  r.err = slurp(tmp.string() + ".err");
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = fs::temp_directory_path() /
             ("gorch-cli-state-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(state_);
  }
  void TearDown() override { fs::remove_all(state_); }
  fs::path state_;
};

TEST_F(CliTest, CompileSucceedsOnTheExample) {
  GorchRun r = Gorch("compile examples/shop");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("14 resources"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, CompileErrorsGoToStderrWithPositionsAndExit1) {
  GorchRun r = Gorch("compile tests/compiler/testdata/golden/bad-types");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("bad-types/manifest.yaml:7:13: error[type-mismatch]: spec.replicas"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error[unknown-field]"), std::string::npos);
}

TEST_F(CliTest, BadFlagsAndCommandsExit1WithAClearMessage) {
  GorchRun flag = Gorch("compile --no-such-flag examples/shop");
  EXPECT_EQ(flag.code, 1);
  EXPECT_NE(flag.err.find("gorch: error:"), std::string::npos) << flag.err;
  GorchRun cmd = Gorch("frobnicate");
  EXPECT_EQ(cmd.code, 1);
  EXPECT_NE(cmd.err.find("unknown command \"frobnicate\""), std::string::npos) << cmd.err;
  GorchRun output = Gorch("compile examples/shop -o yaml");
  EXPECT_EQ(output.code, 1);
}

TEST_F(CliTest, EveryVerbHasHelp) {
  for (const char* verb : {"compile", "plan", "apply", "state"}) {
    GorchRun r = Gorch(std::string(verb) + " --help");
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << verb;
  }
}

TEST_F(CliTest, PlanApplyAndDetailedExitCodes) {
  std::string st = "--state '" + state_.string() + "'";
  GorchRun first = Gorch("plan examples/shop --detailed-exitcode");
  EXPECT_EQ(first.code, 2) << first.err;  // changes present
  GorchRun apply = Gorch("apply examples/shop " + st);
  EXPECT_EQ(apply.code, 0) << apply.err;
  EXPECT_NE(apply.out.find("14 created"), std::string::npos) << apply.out;
  GorchRun again = Gorch("plan examples/shop --detailed-exitcode " + st);
  EXPECT_EQ(again.code, 0) << again.out << again.err;  // no changes
  EXPECT_NE(again.out.find("No changes"), std::string::npos);
}

TEST_F(CliTest, AStaleSavedPlanIsRefusedAndNothingIsApplied) {
  std::string st = "--state '" + state_.string() + "'";
  ASSERT_EQ(Gorch("apply examples/jsonnet-envs " + st).code, 0);
  std::string plan_file = (state_.string() + ".plan");
  GorchRun plan = Gorch("plan examples/shop " + st + " --out '" + plan_file + "'");
  ASSERT_EQ(plan.code, 0) << plan.err;
  // Someone edits a resource by hand: the live state the plan read is gone.
  ASSERT_EQ(Gorch("state put /ConfigMap/shop-prod/web-config '{\"managed\":true,\"object\":{}}' " + st).code, 0);
  GorchRun stale = Gorch("apply '" + plan_file + "' " + st);
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.err.find("stale plan"), std::string::npos) << stale.err;
  GorchRun ls = Gorch("state ls / " + st);
  EXPECT_EQ(ls.out.find("/Deployment/shop/"), std::string::npos) << ls.out;  // nothing of the shop applied
  fs::remove(plan_file);
}

TEST_F(CliTest, AnApplyWithCompileErrorsChangesNothing) {
  std::string st = "--state '" + state_.string() + "'";
  GorchRun bad = Gorch("apply tests/compiler/testdata/golden/dangling-secret " + st);
  EXPECT_EQ(bad.code, 1);
  GorchRun ls = Gorch("state ls / " + st);
  EXPECT_EQ(ls.out.find("/Deployment/"), std::string::npos) << ls.out;
}

TEST_F(CliTest, MarkdownPlanForPullRequests) {
  GorchRun r = Gorch("plan examples/shop -o markdown --nodes 2x4cpu16Gi");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("### gorch plan:", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("<details>"), std::string::npos);
  GorchRun bad = Gorch("plan examples/shop --nodes 2xlots");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--nodes"), std::string::npos) << bad.err;
}

// The pull-request view: what HEAD changes against what the base revision would
// deploy, with no cluster (`gorch plan --git . --rev HEAD --base main`).
TEST_F(CliTest, PlanAgainstABaseRevisionShowsOnlyTheBranchsChanges) {
  if (std::system("git --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no git";
  fs::create_directories(state_ / "deploy");
  auto write = [&](const std::string& level, bool second) {
    std::ofstream out(state_ / "deploy" / "cm.yaml");
    out << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LEVEL: " << level << "\n";
    if (second) out << "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  A: b\n";
  };
  auto sh = [&](const std::string& commands) {
    return std::system(("cd '" + state_.string() + "' && " + commands).c_str());
  };
  const std::string commit = "git add -A && git -c user.name=t -c user.email=t@e commit -q -m ";
  write("info", false);
  ASSERT_EQ(sh("git init -q && " + commit + "base"), 0);
  write("debug", true);
  ASSERT_EQ(sh(commit + "head"), 0);
  ASSERT_EQ(sh("echo '# a comment' >> deploy/cm.yaml && " + commit + "comment"), 0);
  const std::string repo = "--git '" + state_.string() + "' --path deploy";
  GorchRun r = Gorch("plan " + repo + " --rev HEAD --base HEAD~2 --detailed-exitcode");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("~ ConfigMap default/app"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("data.LEVEL: \"info\" → \"debug\""), std::string::npos) << "the changed field: " << r.out;
  EXPECT_NE(r.out.find("+ ConfigMap default/extra"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 to create, 1 to change"), std::string::npos) << r.out;
  // Against itself: nothing.
  GorchRun same = Gorch("plan " + repo + " --rev HEAD --base HEAD --detailed-exitcode");
  EXPECT_EQ(same.code, 0) << same.out << same.err;
  // Misuse is a clear error.
  GorchRun no_git = Gorch("plan examples/shop --base HEAD~1");
  EXPECT_EQ(no_git.code, 1);
  EXPECT_NE(no_git.err.find("--base needs --git"), std::string::npos) << no_git.err;
  GorchRun saved = Gorch("plan " + repo + " --base HEAD~1 --out '" + (state_ / "p.json").string() + "'");
  EXPECT_EQ(saved.code, 1);
  EXPECT_NE(saved.err.find("not to apply"), std::string::npos) << saved.err;
  GorchRun bad_rev = Gorch("plan " + repo + " --base no-such-branch");
  EXPECT_EQ(bad_rev.code, 1);
  EXPECT_NE(bad_rev.err.find("no-such-branch"), std::string::npos) << bad_rev.err;
}

TEST_F(CliTest, NamespaceFlagAndPlanningAsAGitSource) {
  // -n: the namespace of resources that name none.
  fs::create_directories(state_ / "src");
  std::ofstream(state_ / "src" / "cm.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  A: b\n";
  GorchRun r = Gorch("plan '" + (state_ / "src").string() + "' -n team-a");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("+ ConfigMap team-a/app"), std::string::npos) << r.out;
  // A live state a git source applied: planning by hand takes it over (an
  // update of its owner); planning as that source changes nothing.
  std::ofstream(state_ / "live.json")
      << "{\"revision\":3,\"resources\":[{\"kind\":\"ConfigMap\",\"namespace\":\"team-a\",\"name\":\"app\","
         "\"apiVersion\":\"v1\",\"managed\":true,\"owner\":\"git:team-a\",\"object\":{\"apiVersion\":\"v1\","
         "\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"app\",\"namespace\":\"team-a\"},\"data\":{\"A\":\"b\"}}}]}";
  const std::string common = "plan '" + (state_ / "src").string() + "' -n team-a --live '" + (state_ / "live.json").string() + "' --detailed-exitcode";
  GorchRun by_hand = Gorch(common);
  EXPECT_EQ(by_hand.code, 2) << by_hand.out << by_hand.err;
  EXPECT_NE(by_hand.out.find("(owner)"), std::string::npos) << by_hand.out;
  GorchRun as_source = Gorch(common + " --source team-a");
  EXPECT_EQ(as_source.code, 0) << as_source.out << as_source.err;
}

}  // namespace
