// Holds lang/schemas/*.gorch against python3-kubernetes (the Kubernetes 1.22
// API): every attribute of every kind's model, recursively, must be a field of
// the Gorch record, and the committed files must be what tools/gen_schemas.py
// generates (no hand edits, no forgotten re-run). The comparison itself lives in
// the generator's --check mode; this test runs it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

constexpr const char* kModelsDir = "/usr/lib/python3/dist-packages/kubernetes/client/models";

// Runs cmd through the shell; returns its exit status and stdout+stderr.
int RunCommand(const std::string& cmd, std::string& output) {
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SchemaCoverageTest, SchemasCoverEveryKubernetesField) {
  if (!fs::exists(fs::path(kModelsDir) / "v1_pod.py")) {
    if (std::getenv("CI")) FAIL() << "python3-kubernetes is not installed (" << kModelsDir << ")";
    GTEST_SKIP() << "python3-kubernetes is not installed";
  }
  std::string output;
  std::string script = (fs::path(GORCH_SOURCE_DIR) / "tools" / "gen_schemas.py").string();
  int status = RunCommand("python3 '" + script + "' --check --models '" + kModelsDir + "'", output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("0 problem(s)"), std::string::npos) << output;
}

}  // namespace
