// Golden-file tests of diagnostics: each folder under testdata/golden/ holds a
// broken source (and, optionally, a schemas/ folder of user kinds); its
// expected.txt holds every diagnostic the compiler must print, in order.
// GORCH_UPDATE_GOLDEN=1 rewrites the expected files (review the diff!).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/compiler/compile.h"

namespace fs = std::filesystem;

namespace gorch::compiler {
namespace {

const fs::path kGoldenDir = fs::path(GORCH_TESTDATA) / "golden";

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kGoldenDir))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Diagnostics as the CLI prints them, with the case's folder made relative so
// the output does not depend on where the repository is checked out.
std::string Render(const lang::Diagnostics& diags, const std::string& dir) {
  std::string out;
  for (const auto& d : diags.all()) {
    std::string line = d.ToString();
    for (const std::string& prefix : {dir + "/", dir}) {
      for (size_t at; (at = line.find(prefix)) != std::string::npos;) line.erase(at, prefix.size());
    }
    out += line + "\n";
  }
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, DiagnosticsMatchExpected) {
  const fs::path dir = kGoldenDir / GetParam();
  CompileOptions options;
  options.path = dir.string();
  if (fs::exists(dir / "schemas")) options.schema_dirs.push_back((dir / "schemas").string());
  options.load.threads = 1;
  CompileResult result = Compile(options);
  std::string actual = Render(result.diags, dir.string());
  ASSERT_FALSE(result.diags.all().empty()) << "a broken source must produce a diagnostic";

  const fs::path expected_file = dir / "expected.txt";
  if (std::getenv("GORCH_UPDATE_GOLDEN")) {
    std::ofstream(expected_file, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << expected_file;
  }
  ASSERT_TRUE(fs::exists(expected_file)) << "missing " << expected_file
                                         << " (run with GORCH_UPDATE_GOLDEN=1); actual:\n" << actual;
  EXPECT_EQ(ReadAll(expected_file), actual);
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace gorch::compiler
