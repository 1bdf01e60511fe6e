// Every built-in check has a passing and a failing fixture, and all of them
// hold (the library side of `gorch lint --test`).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/policy/fixtures.h"
#include "gorch/policy/policy_set.h"

namespace fs = std::filesystem;

namespace gorch::policy {
namespace {

const fs::path kBuiltin = fs::path(GORCH_TESTDATA) / "builtin";

TEST(Fixtures, EveryBuiltinCheckHasAPassingAndAFailingFixture) {
  lang::Diagnostics diags;
  PolicySet set;
  ASSERT_TRUE(set.AddBuiltin(diags));
  for (const Check& c : set.checks()) {
    fs::path dir = kBuiltin / c.policy.name;
    ASSERT_TRUE(fs::exists(dir / "pass.yaml")) << dir;
    ASSERT_TRUE(fs::exists(dir / "fail.yaml")) << dir;
    std::ifstream in(dir / "fail.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find("# expect: " + c.policy.name + " "), std::string::npos)
        << "the failing fixture of " << c.policy.name << " expects no finding of it";
  }
}

TEST(Fixtures, AllBuiltinFixturesPass) {
  FixtureOptions options;
  options.dir = kBuiltin.string();
  auto run = RunFixtures(options);
  for (const auto& d : run->diags.all()) ADD_FAILURE() << d.ToString();
  EXPECT_EQ(run->results.size(), 60u);
  for (const auto& r : run->results) {
    std::string problems;
    for (const auto& p : r.problems) problems += "\n  " + p;
    EXPECT_TRUE(r.passed) << r.file << problems;
  }
  EXPECT_TRUE(run->ok());
}

TEST(Fixtures, AWrongExpectationFailsTheFixture) {
  fs::path dir = fs::temp_directory_path() / ("gorch-fixtures-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "own.gorch") << "policy \"no-b\" {\n  description: \"d\"\n  kinds: [\"ConfigMap\"]\n"
                                      "  deny has(data.b) at data.b : \"b is set\"\n}\n";
  std::ofstream(dir / "good.yaml") << "# checks: no-b\n# expect: no-b 8\napiVersion: v1\nkind: ConfigMap\n"
                                      "metadata: {name: c}\ndata:\n  a: x\n  b: z\n";
  std::ofstream(dir / "bad.yaml") << "# checks: no-b\n# expect: no-b 3\napiVersion: v1\nkind: ConfigMap\n"
                                     "metadata: {name: c}\ndata:\n  a: x\n  b: z\n";
  FixtureOptions options;
  options.dir = dir.string();
  options.builtin = false;
  auto run = RunFixtures(options);
  ASSERT_EQ(run->results.size(), 2u);
  // bad.yaml sorts first.
  EXPECT_FALSE(run->results[0].passed);
  ASSERT_EQ(run->results[0].problems.size(), 2u) << ::testing::PrintToString(run->results[0].problems);
  EXPECT_NE(run->results[0].problems[0].find("unexpected: "), std::string::npos);
  EXPECT_NE(run->results[0].problems[0].find("bad.yaml:8:6: warning[no-b]: b is set"), std::string::npos)
      << run->results[0].problems[0];
  EXPECT_EQ(run->results[0].problems[1], "missing: no-b at line 3");
  EXPECT_TRUE(run->results[1].passed);
  EXPECT_FALSE(run->ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gorch::policy
