// The git source against real repositories made with the git CLI in a temp
// dir: revisions of every kind, subdirectories, bare clones, the errors, and
// loading manifests (Jsonnet imports included) straight from a commit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gorch/compiler/loader.h"
#include "gorch/compiler/source.h"

namespace fs = std::filesystem;

namespace gorch::compiler {
namespace {

std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return "";
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Cm(const std::string& name) { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"; }

// A repository with three commits on main, a tag on the first, a branch.
class GitSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    root_ = fs::temp_directory_path() / ("gorch-git-itest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    repo_ = root_ / "repo";
    fs::create_directories(repo_);
    Git("init -q -b main");
    Write("deploy/app.yaml", Cm("v1"));
    Write("base.yaml", Cm("base"));
    Commit("first");
    first_ = Git("rev-parse HEAD");
    Git("tag -a v1 -m 'release 1'");
    Write("deploy/app.yaml", Cm("v2"));
    Write("deploy/extra.yml", Cm("extra"));
    Commit("second");
    fs::remove(repo_ / "base.yaml");
    Write(".github/workflows/ci.yaml", "on: push\n");
    Write("deploy/env/main.jsonnet", "(import '../lib/cm.libsonnet').cm('from-jsonnet')");
    Write("deploy/lib/cm.libsonnet", "{cm(n):: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: n}}}");
    fs::create_symlink("app.yaml", repo_ / "deploy" / "link.yaml");
    Commit("third");
    head_ = Git("rev-parse HEAD");
    Git("checkout -q -b feature HEAD~1");
    Write("feature.yaml", Cm("feature"));
    Commit("feature");
    feature_ = Git("rev-parse HEAD");
    Git("checkout -q main");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Git(const std::string& args) { return Shell("git -C '" + repo_.string() + "' " + args); }
  void Write(const std::string& rel, const std::string& content) {
    fs::create_directories((repo_ / rel).parent_path());
    std::ofstream(repo_ / rel, std::ios::binary) << content;
  }
  void Commit(const std::string& message) {
    Git("add -A");
    Git("-c user.name=t -c user.email=t@e commit -q -m '" + message + "'");
  }
  std::unique_ptr<Source> Open(const std::string& rev, const std::string& subdir = "") {
    auto s = OpenGitSource(repo_.string(), rev, subdir);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static std::string Read(const Source& s, const std::string& path) {
    auto r = s.ReadFile(path, 1 << 20);
    return r.ok() ? *r : r.status().ToString();
  }

  fs::path root_, repo_;
  std::string first_, head_, feature_;
};

TEST_F(GitSourceTest, HeadListsTheCommittedTree) {
  Write("deploy/app.yaml", Cm("uncommitted"));  // the work tree is never read
  auto s = Open("HEAD");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->commit(), head_);
  auto files = s->ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"deploy/app.yaml", "deploy/env/main.jsonnet", "deploy/extra.yml",
                                              "deploy/lib/cm.libsonnet"}));
  EXPECT_EQ(Read(*s, "deploy/app.yaml"), Cm("v2"));
  EXPECT_EQ(Read(*s, ".github/workflows/ci.yaml"), "on: push\n");  // hidden: not listed, still readable
  EXPECT_TRUE(s->ReadFile("base.yaml", 100).status().IsNotFound());
  EXPECT_EQ(s->DisplayName(), repo_.string() + "@" + head_.substr(0, 12));
}

TEST_F(GitSourceTest, EveryKindOfRevision) {
  struct Case {
    std::string rev, commit, app;
  };
  for (const Case& c : {Case{"HEAD~2", first_, "v1"}, Case{first_, first_, "v1"}, Case{first_.substr(0, 8), first_, "v1"},
                        Case{"v1", first_, "v1"}, Case{"main", head_, "v2"}, Case{"feature", feature_, "v2"},
                        Case{"main~1", Git("rev-parse main~1"), "v2"}, Case{"", head_, "v2"}}) {
    auto s = Open(c.rev);
    ASSERT_TRUE(s) << c.rev;
    EXPECT_EQ(s->commit(), c.commit) << c.rev;
    EXPECT_EQ(Read(*s, "deploy/app.yaml"), Cm(c.app)) << c.rev;
  }
  auto old = Open("HEAD~2");
  EXPECT_EQ(*old->ListFiles(), (std::vector<std::string>{"base.yaml", "deploy/app.yaml"}));
  auto feature = Open("feature");
  EXPECT_EQ(Read(*feature, "feature.yaml"), Cm("feature"));
}

TEST_F(GitSourceTest, Subdirectory) {
  auto s = Open("HEAD", "/deploy/");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->ListFiles(), (std::vector<std::string>{"app.yaml", "env/main.jsonnet", "extra.yml", "lib/cm.libsonnet"}));
  EXPECT_EQ(Read(*s, "extra.yml"), Cm("extra"));
  EXPECT_EQ(s->DisplayPath("app.yaml"), "deploy/app.yaml");
  EXPECT_EQ(s->DisplayName(), repo_.string() + "@" + head_.substr(0, 12) + ":deploy");
  auto nested = Open("HEAD", "deploy/lib");
  ASSERT_TRUE(nested);
  EXPECT_EQ(*nested->ListFiles(), (std::vector<std::string>{"cm.libsonnet"}));
}

TEST_F(GitSourceTest, BareClone) {
  const fs::path bare = root_ / "bare.git";
  Shell("git clone -q --bare '" + repo_.string() + "' '" + bare.string() + "'");
  auto s = OpenGitSource(bare.string(), "main", "deploy");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->commit(), head_);
  EXPECT_EQ(Read(**s, "app.yaml"), Cm("v2"));
  auto tagged = OpenGitSource(bare.string(), "v1", "");
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ((*tagged)->commit(), first_);
}

TEST_F(GitSourceTest, ClearErrors) {
  auto bad_rev = OpenGitSource(repo_.string(), "no-such-branch", "");
  EXPECT_TRUE(bad_rev.status().IsNotFound());
  EXPECT_EQ(bad_rev.status().message().rfind("revision 'no-such-branch' not found in " + repo_.string(), 0), 0u)
      << bad_rev.status().message();

  auto not_repo = OpenGitSource((root_ / "nowhere").string(), "HEAD", "");
  EXPECT_TRUE(not_repo.status().IsNotFound());
  EXPECT_EQ(not_repo.status().message().rfind("not a git repository: " + (root_ / "nowhere").string(), 0), 0u)
      << not_repo.status().message();

  fs::create_directories(repo_ / "plain-subdir");  // inside the work tree, but not a repository itself
  EXPECT_TRUE(OpenGitSource((repo_ / "plain-subdir").string(), "HEAD", "").status().IsNotFound());

  auto missing_dir = OpenGitSource(repo_.string(), "HEAD", "nope");
  EXPECT_TRUE(missing_dir.status().IsNotFound());
  EXPECT_EQ(missing_dir.status().message(), "path 'nope' does not exist in commit " + head_);

  auto file_dir = OpenGitSource(repo_.string(), "HEAD", "deploy/app.yaml");
  EXPECT_TRUE(file_dir.status().IsInvalidArgument());
  EXPECT_EQ(file_dir.status().message(), "path 'deploy/app.yaml' is not a directory in commit " + head_);

  EXPECT_TRUE(OpenGitSource(repo_.string(), "HEAD", "../x").status().IsInvalidArgument());
  // A tree id is a revision git can parse, but not a commit.
  EXPECT_TRUE(OpenGitSource(repo_.string(), "HEAD^{tree}", "").status().IsInvalidArgument());
}

TEST_F(GitSourceTest, SizeLimitIsCheckedBeforeReading) {
  auto s = Open("HEAD");
  auto r = s->ReadFile("deploy/app.yaml", 10);
  EXPECT_TRUE(r.status().IsResourceExhausted());
  EXPECT_EQ(r.status().message(), "deploy/app.yaml is " + std::to_string(Cm("v2").size()) +
                                      " bytes, over the limit of 10 bytes");
}

TEST_F(GitSourceTest, LoadManifestsFromACommitWithJsonnetImports) {
  for (int i = 0; i < 30; ++i) Write("many/f" + std::to_string(10 + i) + ".yaml", Cm("m" + std::to_string(i)));
  Commit("many");
  auto s = Open("HEAD");
  ASSERT_TRUE(s);
  for (unsigned threads : {1u, 4u}) {
    LoadOptions options;
    options.threads = threads;
    lang::Diagnostics diags;
    std::vector<Manifest> manifests = LoadManifests(*s, options, diags);
    EXPECT_TRUE(diags.all().empty()) << diags.all()[0].ToString();
    ASSERT_EQ(manifests.size(), 33u);
    EXPECT_EQ(manifests[0].doc.FindPath("metadata.name")->as_string(), "v2");
    EXPECT_EQ(manifests[0].pos.ToString(), "deploy/app.yaml:1:1");
    EXPECT_EQ(manifests[1].doc.FindPath("metadata.name")->as_string(), "from-jsonnet");
    EXPECT_EQ(manifests[1].pos.ToString(), "deploy/env/main.jsonnet");
    EXPECT_EQ(manifests[32].doc.FindPath("metadata.name")->as_string(), "m29");
  }
}

}  // namespace
}  // namespace gorch::compiler
