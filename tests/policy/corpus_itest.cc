// The shared corpus (../shared/corpus) linted with the full built-in pack, as
// `gorch lint <folder>` does from the corpus directory. Each folder's findings
// were reviewed by hand once (docs/policy.md, "The corpus") and are kept as
// golden output: the exit code `gorch lint` would give, then the text report.
// The corpus sits beside the repository (as in CI); the test is skipped only
// outside CI when it is absent. GORCH_UPDATE_GOLDEN=1 rewrites the golden files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/policy/lint.h"
#include "gorch/policy/report.h"

namespace fs = std::filesystem;

namespace gorch::policy {
namespace {

fs::path CorpusDir() { return fs::path(GORCH_SOURCE_DIR) / ".." / "shared" / "corpus"; }

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

class CorpusLint : public ::testing::TestWithParam<const char*> {};

TEST_P(CorpusLint, MatchesGolden) {
  if (!fs::exists(CorpusDir())) {
    if (std::getenv("CI")) FAIL() << "corpus missing at " << CorpusDir();
    GTEST_SKIP() << "no corpus at " << CorpusDir();
  }
  const std::string folder = GetParam();
  LintRequest request;
  request.compile.path = (CorpusDir() / folder).string();
  auto run = RunLint(request);
  ASSERT_TRUE(run->policies_ok);
  Report report{&run->result.findings, &run->policies, run->source, run->result.resources};
  bool failing = run->diags.HasErrors();
  for (const Finding& f : run->result.findings) failing |= AtLeast(f.severity, lang::Severity::kError);
  std::string got = "exit " + std::to_string(failing ? 1 : 0) + "\n" + Summary(report) + "\n" +
                    RenderText(report, false);
  for (const auto& d : run->diags.all()) got += "stderr: " + d.ToString() + "\n";
  ReplaceAll(got, (CorpusDir() / "").string(), "");  // paths as seen from the corpus directory
  fs::path golden = fs::path(GORCH_TESTDATA) / "corpus" / (folder + ".txt");
  if (std::getenv("GORCH_UPDATE_GOLDEN")) {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << got;
  }
  EXPECT_EQ(got, Slurp(golden));
}

INSTANTIATE_TEST_SUITE_P(Folders, CorpusLint,
                         ::testing::Values("guestbook", "cassandra", "microservices-demo", "k8s-docs"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace gorch::policy
