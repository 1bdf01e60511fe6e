// `gorch state` end to end: the real binary against an LMDB store in a temp dir.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace gorch::store {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

CliRun Gorch(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(GORCH_BINARY) + " " + args + " 2>&1";
  if (!stdin_text.empty()) cmd = "printf '%s' '" + stdin_text + "' | " + cmd;
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class StateCliTest : public ::testing::Test {
 protected:
  std::string S() const { return " --state " + dir_.path() + "/store"; }
  testing::TempDir dir_;
};

TEST_F(StateCliTest, PutGetListWatchDeleteStats) {
  CliRun put = Gorch("state put /pods/default/web-0 running" + S());
  ASSERT_EQ(put.exit_code, 0) << put.out;
  EXPECT_EQ(put.out, "OK revision 1\n");
  ASSERT_EQ(Gorch("state put /pods/default/web-1" + S(), "{\"phase\":\"Pending\"}").exit_code, 0);

  CliRun get = Gorch("state get /pods/default/web-1" + S());
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_EQ(get.out, "{\"phase\":\"Pending\"}\n");

  CliRun json = Gorch("state --state " + dir_.path() + "/store get /pods/ --prefix -o json");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["revision"], 2);
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["kvs"][0]["key"], "/pods/default/web-0");
  EXPECT_EQ(j["kvs"][0]["value"], "running");
  EXPECT_EQ(j["kvs"][1]["mod_revision"], 2);

  CliRun ls = Gorch("state ls /pods/" + S());
  EXPECT_NE(ls.out.find("/pods/default/web-1"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("2 keys at revision 2"), std::string::npos) << ls.out;

  CliRun watch = Gorch("state watch /pods/ --prefix --rev 1 --count 2 -o json" + S());
  ASSERT_EQ(watch.exit_code, 0) << watch.out;
  EXPECT_NE(watch.out.find("\"type\":\"PUT\""), std::string::npos) << watch.out;
  EXPECT_NE(watch.out.find("web-1"), std::string::npos) << watch.out;

  CliRun del = Gorch("state del /pods/ --prefix" + S());
  EXPECT_EQ(del.out, "deleted 2 (revision 3)\n");
  CliRun stats = Gorch("state stats -o json" + S());
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  auto st = nlohmann::json::parse(stats.out);
  EXPECT_EQ(st["revision"], 3);
  EXPECT_EQ(st["keys"], 0);
  EXPECT_EQ(st["backend"], "lmdb");
  ASSERT_EQ(Gorch("state compact 2" + S()).exit_code, 0);
  CliRun old = Gorch("state get /pods/default/web-0 --rev 1" + S());
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_NE(old.out.find("Compacted"), std::string::npos) << old.out;
}

TEST_F(StateCliTest, ErrorsAreClearAndExitOne) {
  CliRun missing_store = Gorch("state get /x" + S());
  EXPECT_EQ(missing_store.exit_code, 1);
  EXPECT_NE(missing_store.out.find("does not exist"), std::string::npos) << missing_store.out;
  CliRun no_backend = Gorch("state get /x");
  EXPECT_EQ(no_backend.exit_code, 1);
  EXPECT_NE(no_backend.out.find("--state DIR or --etcd"), std::string::npos) << no_backend.out;
  CliRun both = Gorch("state get /x" + S() + " --etcd 127.0.0.1:1");
  EXPECT_EQ(both.exit_code, 1);
  ASSERT_EQ(Gorch("state put /a 1" + S()).exit_code, 0);
  CliRun not_found = Gorch("state get /nope" + S());
  EXPECT_EQ(not_found.exit_code, 1);
  EXPECT_NE(not_found.out.find("key /nope not found"), std::string::npos) << not_found.out;
  CliRun future = Gorch("state get /a --rev 50" + S());
  EXPECT_EQ(future.exit_code, 1);
  EXPECT_NE(future.out.find("future revision"), std::string::npos) << future.out;
}

}  // namespace
}  // namespace gorch::store
