// examples/ci/gorch-pull-request.yml, run as GitHub would run its lint and plan
// steps: the `run:` scripts taken from the workflow file itself, under bash, in a
// real git repository with a base branch on an "origin" remote and a pull-request
// branch, with the gorch binary on PATH and the environment GitHub sets.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The `run:` block of the step with `id: <id>` (a literal block under `run: |`),
// with its indentation removed.
std::string RunScriptOf(const std::string& workflow, const std::string& id) {
  std::istringstream in(workflow);
  std::string line, out;
  bool in_step = false, in_run = false;
  size_t run_indent = 0;
  while (std::getline(in, line)) {
    size_t ind = line.find_first_not_of(' ');
    if (line.find("- name:") != std::string::npos || line.find("- uses:") != std::string::npos) {
      if (in_step && !out.empty()) break;
      in_step = false;
      in_run = false;
    }
    if (line.find("id: " + id) != std::string::npos && ind != std::string::npos) in_step = true;
    if (in_step && !in_run && line.find("run: |") != std::string::npos) {
      in_run = true;
      run_indent = 0;
      continue;
    }
    if (in_run) {
      if (ind == std::string::npos) {
        out += "\n";
        continue;
      }
      if (run_indent == 0) run_indent = ind;
      if (ind < run_indent) break;
      out += line.substr(run_indent) + "\n";
    }
  }
  return out;
}

// The value of `KEY: value` in the job's env (first occurrence, comment cut).
std::string EnvOf(const std::string& workflow, const std::string& key) {
  size_t at = workflow.find(key + ": ");
  if (at == std::string::npos) return "";
  size_t start = at + key.size() + 2, end = workflow.find_first_of(" #\n", start);
  return workflow.substr(start, end - start);
}

class CiExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-ci-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home");
    workflow_ = ReadFile(fs::path(GORCH_SOURCE_DIR) / "examples/ci/gorch-pull-request.yml");
    ASSERT_FALSE(workflow_.empty());
    // The base branch on "origin", as actions/checkout with fetch-depth 0 leaves it.
    Sh("git init -q -b main " + (dir_ / "work").string());
    Write("deploy/web.yaml", Deployment(2));
    Write("README.md", "manifests\n");
    Git("add -A && git commit -q -m base");
    Sh("git clone -q --bare " + (dir_ / "work").string() + " " + (dir_ / "origin.git").string());
    Git("remote add origin " + (dir_ / "origin.git").string() + " && git fetch -q origin");
    Git("checkout -q -b feature");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Deployment(int replicas, const std::string& extra = "") {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: " +
           std::to_string(replicas) +
           "\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
           "    spec:\n" + extra + "      containers:\n        - name: web\n          image: localhost/busybox:1\n";
  }

  int Sh(const std::string& cmd) {
    int rc = std::system(("(" + cmd + ") >>" + (dir_ / "sh.log").string() + " 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  void Git(const std::string& args) {
    ASSERT_EQ(Sh("cd " + (dir_ / "work").string() + " && git -c user.name=Dev -c user.email=dev@example.com " + args),
              0)
        << ReadFile(dir_ / "sh.log");
  }
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories((dir_ / "work" / path).parent_path());
    std::ofstream(dir_ / "work" / path) << text;
  }

  // Runs the step's script as GitHub does (`bash -e`), in the checkout.
  int RunStep(const std::string& id) {
    std::string script = RunScriptOf(workflow_, id);
    EXPECT_FALSE(script.empty()) << "no run script for step " << id;
    std::ofstream(dir_ / (id + ".sh")) << script;
    std::string bin_dir = fs::path(GORCH_BIN).parent_path().string();
    std::string env = "HOME=" + (dir_ / "home").string() + " PATH=" + bin_dir + ":$PATH" +
                      " GITHUB_WORKSPACE=" + (dir_ / "work").string() + " GITHUB_OUTPUT=" +
                      (dir_ / "github_output").string() + " GORCH_PATH=" + EnvOf(workflow_, "GORCH_PATH") +
                      " BASE_REF=main";
    return Sh("cd " + (dir_ / "work").string() + " && env " + env + " bash -e " + (dir_ / (id + ".sh")).string());
  }

  fs::path dir_;
  std::string workflow_;
};

TEST_F(CiExampleTest, ThePullRequestsPlanShowsWhatItChangesAgainstTheBaseBranch) {
  EXPECT_EQ(EnvOf(workflow_, "GORCH_PATH"), "deploy");
  Write("deploy/web.yaml", Deployment(5));
  Write("deploy/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  A: b\n");
  Git("add -A && git commit -q -m 'scale web, add settings'");

  ASSERT_EQ(RunStep("lint"), 0) << ReadFile(dir_ / "sh.log");
  std::string sarif = ReadFile(dir_ / "work" / "gorch-lint.sarif");
  EXPECT_NE(sarif.find("\"runs\""), std::string::npos) << sarif;

  ASSERT_EQ(RunStep("plan"), 0) << ReadFile(dir_ / "sh.log");
  std::string plan = ReadFile(dir_ / "work" / "gorch-plan.md");
  EXPECT_NE(plan.find("spec.replicas"), std::string::npos) << plan;
  EXPECT_NE(plan.find("ConfigMap"), std::string::npos) << plan;
  EXPECT_NE(plan.find("settings"), std::string::npos) << plan;
  EXPECT_NE(ReadFile(dir_ / "github_output").find("changes=true"), std::string::npos);
}

TEST_F(CiExampleTest, ABranchThatChangesNothingDeployedSaysSo) {
  Write("README.md", "manifests, documented\n");
  Git("add -A && git commit -q -m docs");
  ASSERT_EQ(RunStep("plan"), 0) << ReadFile(dir_ / "sh.log");
  EXPECT_NE(ReadFile(dir_ / "github_output").find("changes=false"), std::string::npos);
}

TEST_F(CiExampleTest, AnErrorLevelFindingOrABrokenManifestFailsTheJob) {
  Write("deploy/web.yaml", Deployment(2, "      hostNetwork: true\n"));
  Git("add -A && git commit -q -m 'host network'");
  EXPECT_NE(RunStep("lint"), 0);
  EXPECT_NE(ReadFile(dir_ / "work" / "gorch-lint.sarif").find("host-network"), std::string::npos);

  std::string broken = Deployment(2);
  broken.replace(broken.find("replicas: 2"), 11, "replicas: two");
  Write("deploy/web.yaml", broken);
  Git("add -A && git commit -q -m broken");
  EXPECT_NE(RunStep("lint"), 0);
  int rc = RunStep("plan");
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, 2);  // an error, not "changes"
  EXPECT_NE(ReadFile(dir_ / "sh.log").find("web.yaml:6"), std::string::npos) << ReadFile(dir_ / "sh.log");
}

}  // namespace
