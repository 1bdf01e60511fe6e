// `gorch lint` end to end: the real binary on fixtures, every output format,
// exit codes, the repo's own policies and config, a git source, and errors in
// policies. (The corpus golden is corpus_itest.cc.)
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct GorchRun {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `gorch ARGS` in dir.
GorchRun Gorch(const std::string& args, const fs::path& dir = GORCH_SOURCE_DIR) {
  static int n = 0;
  fs::path tmp = fs::temp_directory_path() / ("gorch-lint-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::string cmd = "cd '" + dir.string() + "' && '" GORCH_BINARY "' " + args + " > '" + tmp.string() +
                    ".out' 2> '" + tmp.string() + ".err'";
  int status = std::system(cmd.c_str());
  GorchRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(tmp.string() + ".out");
  r.err = Slurp(tmp.string() + ".err");
  fs::remove(tmp.string() + ".out");
  fs::remove(tmp.string() + ".err");
  return r;
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-lint-it-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  fs::path dir_;
};

constexpr const char* kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:latest
)";

TEST(LintCli, HelpWorksAndUnknownFlagsAreErrors) {
  GorchRun help = Gorch("lint --help");
  EXPECT_EQ(help.code, 0);
  for (const char* flag : {"--policy", "--fail-on", "--test", "--git", "--config", "-o,--output"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << "\n" << help.out;
  GorchRun bad = Gorch("lint --no-such-flag examples/shop");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("gorch: error:"), std::string::npos) << bad.err;
  GorchRun bad_format = Gorch("lint -o yaml examples/shop");
  EXPECT_EQ(bad_format.code, 1);
}

TEST(LintCli, BuiltinFixturesPassUnderLintTest) {
  GorchRun r = Gorch("lint --test tests/policy/testdata/builtin");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("60 fixtures, 60 passed, 0 failed"), std::string::npos) << r.out;
}

TEST_F(TempDir, TextOutputAndFailOn) {
  Write("app/pod.yaml", kPod);
  GorchRun r = Gorch("lint --disable run-as-non-root app", dir_);
  // Warnings only (latest-tag, no-read-only-root-fs...): exit 0 at the default --fail-on error.
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("app/pod.yaml:8:12: warning[latest-tag]: the container \"web\" is using an invalid container "
                       "image, \"nginx:latest\"; use a pinned tag other than latest\n"
                       "  remediation: Use a container image with a specific tag other than latest (or a digest).\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("run-as-non-root"), std::string::npos);
  EXPECT_NE(r.err.find(" findings ("), std::string::npos) << r.err;
  GorchRun strict = Gorch("lint --fail-on warning app", dir_);
  EXPECT_EQ(strict.code, 1);
}

TEST_F(TempDir, RepoPoliciesConfigAndWaivers) {
  Write("pod.yaml", std::string(kPod) + R"(---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    ignore-check.gorch.dev/team-label: "shared by every team"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
  annotations:
    ignore-check.gorch.dev/team-label: ""
)");
  Write(".gorch/policies/team.gorch", R"(policy "team-label" {
  severity: error
  description: "every resource names its team"
  remediation: "add a team label"
  deny !has(labels.team) at metadata : "{kind} {name} has no team label"
})");
  Write(".gorch/lint.yaml", "checks:\n  include: []\n  exclude: [latest-tag, no-read-only-root-fs]\n");
  GorchRun r = Gorch("lint -o json .", dir_);
  EXPECT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> got;
  for (const auto& f : j["findings"]) got.push_back(f["check"].get<std::string>() + "@" + std::to_string(f["line"].get<int>()));
  // The waived ConfigMap has no team-label finding; the one with an empty
  // reason has both an invalid-waiver and the finding it meant to waive.
  EXPECT_NE(std::find(got.begin(), got.end(), "team-label@4"), got.end()) << r.out;
  EXPECT_NE(std::find(got.begin(), got.end(), "invalid-waiver@22"), got.end()) << r.out;
  EXPECT_NE(std::find(got.begin(), got.end(), "team-label@20"), got.end()) << r.out;
  EXPECT_EQ(std::find(got.begin(), got.end(), "team-label@13"), got.end()) << r.out;
  for (const std::string& g : got) EXPECT_NE(g.rfind("latest-tag", 0), 0u) << g;
}

TEST_F(TempDir, PolicyErrorsPointAtFileLineColAndNothingIsLinted) {
  Write("m/pod.yaml", kPod);
  Write("p/bad.gorch", "policy \"x\" {\n  description: \"d\"\n  deny spec.replicas > : \"m\"\n}\n"
                       "policy \"y\" {\n  description: \"d\"\n  deny contaners == null : \"m\"\n}\n");
  GorchRun r = Gorch("lint --policy p m", dir_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("p/bad.gorch:3:24: error[syntax]: syntax error: unexpected ':'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("p/bad.gorch:7:8: error[policy]: unknown name 'contaners' in policy \"y\" (did you mean "
                       "'containers'?)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(TempDir, SarifAndJUnitOutputs) {
  Write("pod.yaml", kPod);
  GorchRun sarif = Gorch("lint -o sarif .", dir_);
  auto j = nlohmann::json::parse(sarif.out);
  EXPECT_EQ(j["version"], "2.1.0");
  const auto& results = j["runs"][0]["results"];
  ASSERT_GT(results.size(), 0u);
  for (const auto& res : results) {
    EXPECT_TRUE(res.contains("ruleId"));
    EXPECT_TRUE(res.contains("ruleIndex"));
    EXPECT_EQ(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "pod.yaml");
    EXPECT_GT(res["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>(), 0);
  }
  GorchRun junit = Gorch("lint -o junit .", dir_);
  EXPECT_EQ(junit.out.rfind("<?xml", 0), 0u);
  EXPECT_NE(junit.out.find("name=\"latest-tag\">"), std::string::npos) << junit.out;
}

TEST_F(TempDir, GitSourceReadsPoliciesAndConfigFromTheCommit) {
  if (std::system("git --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no git";
  Write("deploy/pod.yaml", kPod);
  Write(".gorch/policies/p.gorch",
        "policy \"pods-named-web\" {\n  description: \"d\"\n  kinds: [\"Pod\"]\n  deny name == \"web\" : \"a pod named web\"\n}\n");
  Write(".gorch/lint.yaml", "checks:\n  exclude: [latest-tag]\n");
  std::string git = "cd '" + dir_.string() + "' && git init -q && git add -A && git -c user.name=t -c user.email=t@e "
                    "commit -q -m init && rm -rf deploy .gorch";
  ASSERT_EQ(std::system(git.c_str()), 0);
  GorchRun r = Gorch("lint --git . --rev HEAD --path deploy", dir_);
  EXPECT_NE(r.out.find("pod.yaml:1:1: warning[pods-named-web]: a pod named web"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("latest-tag"), std::string::npos) << r.out;
}

}  // namespace
